// Secret scanning with secretlint (.secretlintrc.json): `tree` scans the files of the work
// tree that git tracks or would track; `history` scans every file version in every commit
// of the repository. Findings allowed by supply-chain/secrets-allowlist.json (path glob +
// rule, each with a reason) pass; any other fails with its path, line and rule.
//   node scripts/supply-chain/secrets.mjs tree|history [project dir]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [mode, rootArg] = process.argv.slice(2);
const root = resolve(rootArg ?? process.cwd());
const secretlint = join(here, '..', '..', 'node_modules', '.bin', 'secretlint');
const config = join(here, '..', '..', '.secretlintrc.json');
const allowlist = JSON.parse(
  readFileSync(join(here, '..', '..', 'supply-chain', 'secrets-allowlist.json'), 'utf8'),
);
/** Blobs larger than this are data, not source: skipped. */
const MAX_BLOB_BYTES = 2 * 1024 * 1024;

const git = (...args) => execFileSync('git', args, { cwd: root, maxBuffer: 256 * 1024 * 1024 });

function globToRegExp(glob) {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
const allowed = allowlist.allow.map((entry) => ({ ...entry, pattern: globToRegExp(entry.path) }));
const isAllowed = (path, rule) => allowed.some((a) => a.rule === rule && a.pattern.test(path));

/** Runs secretlint over `files` (absolute); returns [path relative to `base`, line, rule, message]. */
function scan(files, base) {
  const findings = [];
  // Batches keep each command line short.
  for (let i = 0; i < files.length; i += 500) {
    const result = spawnSync(
      secretlint,
      ['--secretlintrc', config, '--format', 'json', '--no-color', ...files.slice(i, i + 500)],
      { cwd: base, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (result.status !== 0 && result.status !== 1) {
      throw new Error(`secretlint failed (${result.status}): ${result.stderr}`);
    }
    for (const file of JSON.parse(result.stdout || '[]')) {
      for (const message of file.messages) {
        findings.push([
          relative(base, file.filePath),
          message.loc?.start?.line ?? 0,
          message.ruleId,
          message.message,
        ]);
      }
    }
  }
  return findings;
}

function treeFindings() {
  const files = git('ls-files', '-z', '--cached', '--others', '--exclude-standard')
    .toString('utf8')
    .split('\0')
    .filter((f) => f.length > 0)
    .map((f) => join(root, f));
  return { scanned: `${files.length} files`, findings: scan(files, root) };
}

/** Every distinct file version of every commit, written out under <tmp>/<blob id>/<path>. */
function historyFindings() {
  const dir = mkdtempSync(join(tmpdir(), 'orderops-secrets-'));
  try {
    const versions = new Map();
    for (const commit of git('rev-list', '--all').toString('utf8').split('\n').filter(Boolean)) {
      for (const entry of git('ls-tree', '-r', '-z', '-l', commit)
        .toString('utf8')
        .split('\0')
        .filter(Boolean)) {
        const [meta, path] = entry.split('\t');
        const [, type, blob, size] = meta.split(/\s+/);
        if (type === 'blob' && Number(size) <= MAX_BLOB_BYTES)
          versions.set(`${blob}\t${path}`, { blob, path });
      }
    }
    const files = [];
    for (const { blob, path } of versions.values()) {
      const file = join(dir, blob.slice(0, 12), path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, git('cat-file', 'blob', blob));
      files.push(file);
    }
    const findings = scan(files, dir).map(([path, ...rest]) => [path.slice(path.indexOf('/') + 1), ...rest]);
    return {
      scanned: `${versions.size} file versions in ${git('rev-list', '--all', '--count').toString().trim()} commits`,
      findings,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (mode !== 'tree' && mode !== 'history') {
  process.stderr.write('usage: secrets.mjs tree|history [project dir]\n');
  process.exit(2);
}
const { scanned, findings } = mode === 'tree' ? treeFindings() : historyFindings();
const failing = findings.filter(([path, , rule]) => !isAllowed(path, rule));
const allowedCount = findings.length - failing.length;
if (failing.length > 0) {
  process.stderr.write(`secrets (${mode}): ${failing.length} finding(s) in ${scanned}:\n`);
  for (const [path, line, rule] of failing) process.stderr.write(`  ${path}:${line} ${rule}\n`);
  process.exit(1);
}
process.stdout.write(`secrets (${mode}): none in ${scanned} (${allowedCount} allowlisted findings)\n`);
