// The hand-written SQL of every repository, checked in under docs/sql/ and reviewed like code
// (Immich's server/src/queries/*.sql): a change to a query shows up in the diff as SQL.
//   node scripts/architecture/repository-sql.mjs [--write] [project dir]
// Without --write, exits 1 when a file under docs/sql/ differs from the repositories (or is
// missing, or left over); with --write, regenerates them.
//
// Extracted: each string or template literal in a `*.repository.ts` of `libs/*/src` or
// `apps/*/src` whose text starts with a statement keyword (SELECT, INSERT, UPDATE, DELETE,
// WITH, COPY, TRUNCATE), labelled with the class and method (or constant) it sits in.
// Template substitutions are kept as written (`${ownedBy('o.owner', 2)}`). Query-builder
// calls are not SQL text and are not extracted.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import process from 'node:process';
import ts from 'typescript';

const args = process.argv.slice(2);
const write = args.includes('--write');
const root = resolve(args.find((arg) => !arg.startsWith('--')) ?? process.cwd());
const OUT = 'docs/sql';
const STATEMENT = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|COPY|TRUNCATE)\b/i;

const posix = (path) => path.split(sep).join('/');

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return [path];
  });
}

const repositories = ['libs', 'apps']
  .flatMap((top) => {
    const base = join(root, top);
    return existsSync(base) ? readdirSync(base).map((name) => join(base, name, 'src')) : [];
  })
  .flatMap(walk)
  .filter((file) => file.endsWith('.repository.ts'))
  .sort();

/** `Class.method`, `Class.field` or a module-level constant's name. */
function labelOf(node) {
  const names = [];
  for (let at = node.parent; at; at = at.parent) {
    // A module-level constant names its SQL; a local variable inside a method does not.
    const constant = ts.isVariableDeclaration(at) && ts.isSourceFile(at.parent.parent.parent);
    if (
      (ts.isMethodDeclaration(at) ||
        ts.isPropertyDeclaration(at) ||
        ts.isFunctionDeclaration(at) ||
        ts.isClassDeclaration(at) ||
        ts.isGetAccessorDeclaration(at) ||
        constant) &&
      at.name
    ) {
      names.unshift(at.name.getText());
    }
  }
  return names.length > 0 ? names.join('.') : '(module)';
}

/** The literal's SQL without its quotes, indentation normalised so the file reads cleanly. */
function sqlText(node, sf) {
  const raw = ts.isStringLiteral(node) ? node.text : node.getText(sf).slice(1, -1);
  const lines = raw.split('\n').map((line) => line.trimEnd());
  const indents = lines
    .slice(1)
    .filter((line) => line.trim().length > 0)
    .map((line) => /^\s*/.exec(line)[0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return [lines[0].trim(), ...lines.slice(1).map((line) => `  ${line.slice(cut)}`)].join('\n').trim();
}

function extract(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const entries = [];
  const visit = (node) => {
    const literal =
      ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node);
    if (literal) {
      const text =
        ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : node.getText(sf);
      if (STATEMENT.test(ts.isTemplateExpression(node) ? text.slice(1) : text)) {
        entries.push(`-- ${labelOf(node)}\n${sqlText(node, sf)};\n`);
        return; // a literal nested in a substitution is part of this one
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return entries;
}

/** docs/sql/<lib>/<path under src>.sql, e.g. docs/sql/audit/audit.repository.sql */
function outputFor(file) {
  const [top, name, , ...rest] = posix(relative(root, file)).split('/');
  const lib = top === 'apps' ? `apps-${name}` : name;
  return join(OUT, lib, rest.join('/').replace(/\.ts$/, '.sql'));
}

const expected = new Map();
for (const file of repositories) {
  const entries = extract(file);
  if (entries.length === 0) continue;
  const header = `-- Generated from ${posix(relative(root, file))} by \`npm run sql:sync\`. Review changes as code.\n\n`;
  expected.set(posix(outputFor(file)), header + entries.join('\n'));
}

const present = walk(join(root, OUT))
  .filter((file) => file.endsWith('.sql'))
  .map((file) => posix(relative(root, file)));
const problems = [];
for (const [path, text] of expected) {
  const full = join(root, path);
  const current = existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  if (current === text) continue;
  problems.push(`${path}: ${current === undefined ? 'missing' : 'differs from the repository SQL'}`);
  if (write) {
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}
for (const path of present) {
  if (expected.has(path)) continue;
  problems.push(`${path}: no repository has this SQL any more`);
  if (write) rmSync(join(root, path));
}

/** Folders left empty by removed files go too, so a rerun finds the tree it wrote. */
function pruneEmpty(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return;
  for (const name of readdirSync(dir)) pruneEmpty(join(dir, name));
  if (readdirSync(dir).length === 0 && dir !== join(root, OUT)) rmSync(dir, { recursive: true });
}

if (write) {
  pruneEmpty(join(root, OUT));
  process.stdout.write(`repository SQL: ${expected.size} files, ${problems.length} updated\n`);
} else if (problems.length > 0) {
  process.stdout.write(problems.map((line) => `${line}\n`).join(''));
  process.stderr.write(
    'repository SQL changed: review it, then run `npm run sql:sync` and commit docs/sql/\n',
  );
  process.exit(1);
} else {
  process.stdout.write(`repository SQL: ${expected.size} files match the repositories\n`);
}
