// Licence gate: every installed production dependency's licence (SPDX expression from its
// package.json) must be allowed by supply-chain/licences.json, or be an exception listed
// there with a reason. Prints each offender with its path and licence; exit 1 if any.
//   node scripts/supply-chain/licences.mjs [project dir] [policy file]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? process.cwd());
const policyFile =
  process.argv[3] ??
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'supply-chain', 'licences.json');
const policy = JSON.parse(readFileSync(policyFile, 'utf8'));
const allowed = new Set(policy.allowed);

/** The licence as declared: an SPDX string, or the legacy `{type}` / `licenses: [{type}]` forms. */
function declaredLicence(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license && typeof pkg.license.type === 'string') return pkg.license.type;
  if (Array.isArray(pkg.licenses) && pkg.licenses.length > 0) {
    const types = pkg.licenses.map((l) => (typeof l === 'string' ? l : l?.type));
    if (types.every((t) => typeof t === 'string'))
      return types.length === 1 ? types[0] : `(${types.join(' OR ')})`;
  }
  return undefined;
}

/** Whether an SPDX expression is satisfiable with allowed licences (OR: either; AND: both). */
function satisfies(expression) {
  const tokens = expression.replace(/\(/g, ' ( ').replace(/\)/g, ' ) ').trim().split(/\s+/);
  let at = 0;
  const primary = () => {
    const token = tokens[at++];
    if (token === '(') {
      const value = or();
      if (tokens[at++] !== ')') throw new Error('unbalanced parentheses');
      return value;
    }
    if (token === undefined || token === ')') throw new Error('missing licence id');
    // "X WITH exception": the exception only adds permissions, the base licence decides.
    if (tokens[at] === 'WITH') at += 2;
    return allowed.has(token.replace(/\+$/, ''));
  };
  const and = () => {
    let value = primary();
    while (tokens[at] === 'AND') {
      at++;
      value = primary() && value;
    }
    return value;
  };
  const or = () => {
    let value = and();
    while (tokens[at] === 'OR') {
      at++;
      value = and() || value;
    }
    return value;
  };
  try {
    const value = or();
    return at === tokens.length && value;
  } catch {
    return false;
  }
}

// The installed tree, production edges only (npm's own view of what ships).
const installed = JSON.parse(
  execFileSync('npm', ['query', '.prod'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
);
const offenders = [];
let checked = 0;
for (const pkg of installed) {
  if (!pkg.location) continue; // the project itself
  checked++;
  const licence = declaredLicence(pkg);
  const exception = policy.exceptions?.[`${pkg.name}@${pkg.version}`];
  if (exception) {
    if (licence !== undefined && licence !== exception.licence && !satisfies(licence)) {
      offenders.push(
        `${pkg.location} ${pkg.name}@${pkg.version}: ${licence} (the exception names ${exception.licence})`,
      );
    }
    continue;
  }
  if (licence === undefined)
    offenders.push(`${pkg.location} ${pkg.name}@${pkg.version}: no licence declared`);
  else if (!satisfies(licence))
    offenders.push(`${pkg.location} ${pkg.name}@${pkg.version}: ${licence} is not allowed`);
}
if (offenders.length > 0) {
  process.stderr.write(`licences: ${offenders.length} of ${checked} production packages fail the policy:\n`);
  for (const line of offenders) process.stderr.write(`  ${line}\n`);
  process.exit(1);
}
process.stdout.write(
  `licences: ${checked} production packages, all allowed (${relative(process.cwd(), policyFile)})\n`,
);
