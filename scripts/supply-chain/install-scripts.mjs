// Install scripts are denied by default (`npm ci --ignore-scripts`); package.json's
// `allowScripts` is the one list of packages whose scripts were reviewed: `true` ones are
// run by `rebuild`, `false` ones stay off. `check` fails on a package in the lockfile that
// has an install script and is not on the list, and on a listed package that no longer has one.
//   node scripts/supply-chain/install-scripts.mjs check|rebuild [project dir]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const [mode, root = process.cwd()] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const allowed = manifest.allowScripts ?? {};

/** `node_modules/a/node_modules/@b/c` -> `@b/c` */
const nameOf = (path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

const withScripts = Object.entries(lock.packages ?? {})
  .filter(([path, entry]) => path !== '' && entry.hasInstallScript === true)
  .map(([path, entry]) => ({ path, name: nameOf(path), version: entry.version }));

const problems = [];
for (const { path, name, version } of withScripts) {
  if (!(name in allowed)) {
    problems.push(
      `${path} (${name}@${version}) has an install script and is not in package.json allowScripts`,
    );
  }
}
const names = new Set(withScripts.map((p) => p.name));
for (const name of Object.keys(allowed)) {
  if (!names.has(name))
    problems.push(`allowScripts lists ${name}, which has no install script in the lockfile`);
}
if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`install scripts: ${problem}\n`);
  process.exit(1);
}

const toRun = Object.entries(allowed)
  .filter(([, run]) => run === true)
  .map(([name]) => name);
if (mode === 'check') {
  process.stdout.write(
    `install scripts: ${withScripts.length} packages have one; run: ${toRun.join(', ') || 'none'}; ` +
      `denied: ${
        Object.keys(allowed)
          .filter((n) => !toRun.includes(n))
          .join(', ') || 'none'
      }\n`,
  );
} else if (mode === 'rebuild') {
  // --ignore-scripts=false: exactly these packages' scripts, whatever .npmrc says.
  const result = spawnSync('npm', ['rebuild', '--ignore-scripts=false', ...toRun], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
} else {
  process.stderr.write('usage: install-scripts.mjs check|rebuild [project dir]\n');
  process.exit(2);
}
