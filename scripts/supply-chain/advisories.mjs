// Advisories: `npm audit --omit=dev` and `npm audit signatures`. When the registry's
// advisory or signature service cannot be reached (as on a closed network), says so as a
// warning and passes: nothing was checked, and the output says that, never "no advisories".
// When it answers, fails on any high or critical advisory and on any invalid signature.
//   node scripts/supply-chain/advisories.mjs [project dir] [-- extra npm args, e.g. --registry URL]
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import process from 'node:process';

const args = process.argv.slice(2);
const split = args.indexOf('--');
const root = resolve((split === -1 ? args : args.slice(0, split))[0] ?? process.cwd());
const npmArgs = split === -1 ? [] : args.slice(split + 1);

/** Codes and texts npm uses when it got no usable answer from the service. */
const UNREACHABLE =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|audit endpoint returned an error|socket hang up|network/i;

function npmJson(command) {
  // One retry with a short back-off: an unreachable service is reported in seconds, not minutes.
  // The log level is fixed: under `npm run -s` the child would inherit "silent" and hide why.
  const network = [
    '--loglevel=warn',
    '--fetch-retries=1',
    '--fetch-retry-mintimeout=1000',
    '--fetch-retry-maxtimeout=2000',
  ];
  const result = spawnSync('npm', [...command, '--json', ...network, ...npmArgs], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  let body;
  try {
    body = JSON.parse(result.stdout || 'null');
  } catch {
    body = null;
  }
  return { status: result.status, body, text: `${result.stdout}\n${result.stderr}` };
}

/** npm's own JSON for a failed request: an HTTP status from the service or a network error code. */
const serviceFailed = (body) =>
  typeof body?.statusCode === 'number' ||
  (typeof body?.error?.code === 'string' && UNREACHABLE.test(body.error.code));

let failed = false;
const warn = (line) => process.stdout.write(`WARNING advisories: ${line}\n`);

const audit = npmJson(['audit', '--omit=dev']);
const counts = audit.body?.metadata?.vulnerabilities;
if (counts === undefined) {
  if (!serviceFailed(audit.body) && !UNREACHABLE.test(audit.text)) {
    process.stderr.write(`advisories: npm audit gave no report:\n${audit.text.slice(0, 2000)}\n`);
    process.exit(1);
  }
  warn(
    'advisory service unreachable: npm audit checked nothing (the registry did not answer the bulk advisory request)',
  );
} else {
  const serious = Object.entries(audit.body.vulnerabilities ?? {}).filter(([, v]) =>
    ['high', 'critical'].includes(v.severity),
  );
  process.stdout.write(
    `advisories: npm audit answered: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ` +
      `${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low in production dependencies\n`,
  );
  for (const [name, v] of serious)
    process.stderr.write(`  ${v.severity}: ${name} (${v.range || 'all versions'})\n`);
  if (serious.length > 0) failed = true;
}

const signatures = npmJson(['audit', 'signatures']);
if (signatures.body && Array.isArray(signatures.body.invalid)) {
  const { invalid, missing = [] } = signatures.body;
  process.stdout.write(
    `advisories: registry signatures: ${invalid.length} invalid, ${missing.length} missing\n`,
  );
  for (const pkg of invalid) process.stderr.write(`  invalid signature: ${pkg.name}@${pkg.version}\n`);
  if (missing.length > 0) warn(`${missing.length} packages carry no registry signature`);
  if (invalid.length > 0) failed = true;
} else if (serviceFailed(signatures.body) || UNREACHABLE.test(signatures.text)) {
  warn('signature service unreachable: npm audit signatures checked nothing');
} else {
  process.stderr.write(
    `advisories: npm audit signatures gave no report:\n${signatures.text.slice(0, 2000)}\n`,
  );
  failed = true;
}
process.exit(failed ? 1 : 0);
