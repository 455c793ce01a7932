// The persistence boundary (issue 12): no SQL or TypeORM query outside a repository, and no
// repository naming a table another lib owns.
//   node scripts/architecture/persistence.mjs [project dir]
//
// Reads the TypeScript of `libs/*/src` and `apps/*/src` with the compiler API and a type
// checker (the project's tsconfig.json when there is one), so a call is judged by what it is
// called on, not by its spelling: a stream's `.read()` or a Map's `.delete()` is no query.
//
// 1. Outside `*.repository.ts` (specs and migrations exempt), these are violations:
//    - `.query(`, `.getRepository(`, `.createQueryBuilder(`, `.createQueryRunner(` on anything
//      (no other meaning in this codebase);
//    - `InjectRepository(` / `InjectEntityManager(`;
//    - a query method (`find*`, `count*`, `exist*`, `insert`, `save`, `update*`, `upsert`,
//      `delete*`, `remove`, `increment`, `getMany`...) called on a TypeORM or `pg` object
//      (EntityManager, Repository, QueryRunner, QueryBuilder, DataSource, Pool, Client);
//    - `.read(` on core's `Database`;
//    - SQL text: a string or template literal that starts like a statement (`SELECT ... FROM`,
//      `INSERT INTO`, `UPDATE ... SET`, `DELETE FROM`, `WITH ... AS (`, `COPY`, `TRUNCATE`, in
//      upper case as this codebase writes SQL), so SQL built elsewhere and handed to a
//      repository to run is caught too.
//    Where the receiver's type cannot be resolved, its name decides (`manager`, `repo`,
//    `database`...), so a missing type never hides a query.
// 2. Table ownership comes from each lib's migrations (`CREATE TABLE <name>` in
//    `libs/<lib>/src/**/migrations/*.ts`) and entities (`@Entity('<name>')`,
//    `@Entity({ name })`). In a repository of lib X, a table of another lib is a violation
//    when named in SQL text (FROM / JOIN / INTO / UPDATE / COPY / TRUNCATE, template literals
//    included), as the table argument of a query-builder call, or as an entity class of
//    another lib passed to any call (`getRepository(CustomerEntity)`). A table claimed by
//    two libs is a violation too.
// 3. An entity's relation (`@ManyToOne`, `@OneToOne`, `@OneToMany`, `@ManyToMany`, by class or
//    by name) to an entity of another lib is a violation anywhere: TypeORM would join that
//    lib's table in a query no SQL text or call argument shows.
//
// Prints each violation as `path:line: message` and exits 1; else one summary line, exit 0.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import process from 'node:process';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? process.cwd());

/**
 * Files that are the persistence infrastructure itself, not callers of it. Each needs a
 * reason; anything else that queries goes into a repository.
 */
const INFRASTRUCTURE = new Map([
  [
    'libs/core/src/database/database.ts',
    'the Database: opens the pool, runs migrations, pings, and is Database.read itself',
  ],
  [
    'libs/core/src/database/notification-listener.ts',
    "Database.listen's connection: its one statement is LISTEN on a channel it was given",
  ],
]);

const ALWAYS_QUERY = new Set(['query', 'getRepository', 'createQueryBuilder', 'createQueryRunner']);
const INJECTORS = new Set(['InjectRepository', 'InjectEntityManager']);
const QUERY_METHOD =
  /^(find\w*|count\w*|exists?\w*|insert|save|update\w*|upsert|delete\w*|remove|softDelete|softRemove|restore|recover|increment|decrement|clear|preload|sum|average|minimum|maximum|execute|stream|getMany|getOne\w*|getRaw\w*|getCount|getManyAndCount|getExists)$/;
/** Receiver names that stand for a query object when its type cannot be resolved. */
const QUERY_RECEIVER_NAME = /(manager|repo|repository|queryRunner|runner|dataSource|qb|pool|client)$/i;
const DATABASE_NAME = /^(database|db)$/i;
const PERSISTENCE_PACKAGE =
  /[\\/]node_modules[\\/](typeorm|pg|pg-pool|@types[\\/]pg|@electric-sql[\\/]pglite)[\\/]/;
/** Query-builder calls whose first argument may be a table name as a plain string. */
const TABLE_ARGUMENT_CALLS = new Set([
  'from',
  'into',
  'update',
  'delete',
  'insert',
  'innerJoin',
  'leftJoin',
  'innerJoinAndSelect',
  'leftJoinAndSelect',
  'getRepository',
]);

const IDENT = String.raw`(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const TABLE_NAME = String.raw`(?:${IDENT}\s*\.\s*)?${IDENT}`;
const TABLE_ITEM = String.raw`${TABLE_NAME}(?:\s+(?:AS\s+)?${IDENT})?`;
/** `FROM a x, b y` names two tables; the other keywords name one. */
const SQL_TABLE_REFERENCE = new RegExp(
  String.raw`\b(FROM|JOIN|INTO|UPDATE|COPY|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?(${TABLE_ITEM}(?:\s*,\s*${TABLE_ITEM})*)`,
  'gi',
);
const CREATE_TABLE = new RegExp(
  String.raw`\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${TABLE_NAME})`,
  'gi',
);

const posix = (path) => path.split(sep).join('/');
const rel = (file) => posix(relative(root, file));
const unquote = (name) => name.replace(/"/g, '').trim();
/** `public.customers` and `customers` are the same table; the schema is not ownership. */
const bareTable = (name) => unquote(name.split('.').at(-1) ?? name).toLowerCase();
const snakeCase = (name) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `libs/<lib>/src/...` -> `<lib>`, `apps/<app>/src/...` -> `apps/<app>` (apps own no tables). */
function ownerOf(file) {
  const [top, name, src] = rel(file).split('/');
  if (src !== 'src') return undefined;
  if (top === 'libs') return name;
  if (top === 'apps') return `apps/${name}`;
  return undefined;
}

const isMigration = (file) => rel(file).split('/').slice(3, -1).includes('migrations');
const isSpec = (file) => /\.(e2e-)?spec\.ts$/.test(file);
const isRepository = (file) => file.endsWith('.repository.ts');

const sourceFiles = ['libs', 'apps']
  .flatMap((top) => {
    const base = join(root, top);
    return existsSync(base) ? readdirSync(base).map((name) => join(base, name, 'src')) : [];
  })
  .flatMap(walk)
  .filter((file) => ownerOf(file) !== undefined && !isSpec(file))
  .sort();
const migrationFiles = sourceFiles.filter(isMigration);
const checkedFiles = sourceFiles.filter((file) => !isMigration(file));

function compilerOptions() {
  const configPath = join(root, 'tsconfig.json');
  const defaults = {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    experimentalDecorators: true,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  };
  if (!existsSync(configPath)) return defaults;
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, root).options;
}

const program = ts.createProgram({
  rootNames: sourceFiles,
  options: { ...compilerOptions(), noEmit: true },
});
const checker = program.getTypeChecker();

/** @type {{ file: string; line: number; message: string }[]} */
const violations = [];
const report = (sf, pos, message) =>
  violations.push({ file: rel(sf.fileName), line: sf.getLineAndCharacterOfPosition(pos).line + 1, message });

// ---- Table ownership -------------------------------------------------------------------

/** table -> Map<lib, where it is claimed> */
const claims = new Map();
const claim = (table, lib, where) => {
  if (!claims.has(table)) claims.set(table, new Map());
  if (!claims.get(table).has(lib)) claims.get(table).set(lib, where);
};

for (const file of migrationFiles) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(CREATE_TABLE)) {
    const line = text.slice(0, match.index).split('\n').length;
    claim(bareTable(match[1]), ownerOf(file), `${rel(file)}:${line}`);
  }
}

/** Entity class declarations -> { table, lib } */
const entities = new Map();

function entityTable(node) {
  for (const decorator of ts.getDecorators(node) ?? []) {
    const call = decorator.expression;
    if (
      !ts.isCallExpression(call) ||
      !ts.isIdentifier(call.expression) ||
      call.expression.text !== 'Entity'
    ) {
      continue;
    }
    const [arg] = call.arguments;
    if (arg && ts.isStringLiteralLike(arg)) return arg.text;
    if (arg && ts.isObjectLiteralExpression(arg)) {
      for (const prop of arg.properties) {
        if (
          ts.isPropertyAssignment(prop) &&
          prop.name.getText() === 'name' &&
          ts.isStringLiteralLike(prop.initializer)
        ) {
          return prop.initializer.text;
        }
      }
    }
    // TypeORM's default naming: the class name in snake_case.
    return node.name ? snakeCase(node.name.text) : undefined;
  }
  return undefined;
}

for (const file of checkedFiles) {
  const sf = program.getSourceFile(file);
  const visit = (node) => {
    if (ts.isClassDeclaration(node)) {
      const table = entityTable(node);
      if (table !== undefined) {
        const lib = ownerOf(file);
        entities.set(node, { table: bareTable(table), lib, name: node.name?.text });
        claim(
          bareTable(table),
          lib,
          `${rel(file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** table -> owning lib, for tables exactly one lib claims */
const owners = new Map();
for (const [table, libs] of claims) {
  if (libs.size === 1) {
    owners.set(table, [...libs.keys()][0]);
    continue;
  }
  const [first, ...others] = [...libs];
  for (const [lib, where] of others) {
    const [file, line] = where.split(':');
    violations.push({
      file,
      line: Number(line),
      message: `table "${table}" is claimed by ${lib} and by ${first[0]} (${first[1]}): one lib owns each table`,
    });
  }
}

// ---- Query calls -----------------------------------------------------------------------

function typeSymbols(type) {
  const types = type.isUnion() ? type.types : [type];
  return types.flatMap((t) => [t.getSymbol(), t.aliasSymbol].filter(Boolean));
}

const isUnresolved = (type) => (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;

function declaredInPersistencePackage(type) {
  return typeSymbols(type).some((symbol) =>
    (symbol.declarations ?? []).some((d) => PERSISTENCE_PACKAGE.test(d.getSourceFile().fileName)),
  );
}

const isDatabaseType = (type) => typeSymbols(type).some((symbol) => symbol.getName() === 'Database');

/** The last name in a receiver: `this.database` -> `database`, `repo` -> `repo`. */
function receiverName(expr) {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
  if (ts.isCallExpression(expr)) return receiverName(expr.expression);
  return '';
}

function receiverType(expr) {
  return checker.getNonNullableType(checker.getTypeAtLocation(expr));
}

function queryCallReason(call) {
  const callee = call.expression;
  if (ts.isIdentifier(callee) && INJECTORS.has(callee.text)) return `${callee.text}()`;
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  if (ALWAYS_QUERY.has(method)) return `.${method}()`;
  const receiver = callee.expression;
  if (method === 'read') {
    const type = receiverType(receiver);
    if (isDatabaseType(type)) return 'Database.read()';
    if (isUnresolved(type) && DATABASE_NAME.test(receiverName(receiver))) return 'Database.read()';
    return undefined;
  }
  if (!QUERY_METHOD.test(method)) return undefined;
  const type = receiverType(receiver);
  if (declaredInPersistencePackage(type)) return `.${method}() on ${checker.typeToString(type)}`;
  if (isUnresolved(type) && QUERY_RECEIVER_NAME.test(receiverName(receiver))) {
    return `.${method}() on ${receiverName(receiver)}`;
  }
  return undefined;
}

// ---- Tables named in a repository -----------------------------------------------------

/** The source text of a string-like node, `${...}` spans blanked so offsets stay true. */
function stringText(node, sf) {
  const text = node.getText(sf);
  if (!ts.isTemplateExpression(node)) return text;
  let blanked = text;
  const start = node.getStart(sf);
  for (const span of node.templateSpans) {
    const from = span.expression.getStart(sf) - start;
    const to = span.expression.getEnd() - start;
    blanked = blanked.slice(0, from) + ' '.repeat(to - from) + blanked.slice(to);
  }
  return blanked;
}

function checkSqlTables(node, sf, lib) {
  const text = stringText(node, sf);
  const start = node.getStart(sf);
  for (const match of text.matchAll(SQL_TABLE_REFERENCE)) {
    const list = match[2];
    const listStart = match.index + match[0].length - list.length;
    for (const item of list.matchAll(new RegExp(TABLE_ITEM, 'g'))) {
      const name = new RegExp(`^${TABLE_NAME}`).exec(item[0])?.[0] ?? item[0];
      reportForeignTable(sf, start + listStart + item.index, lib, bareTable(name), 'names table');
    }
  }
}

function reportForeignTable(sf, pos, lib, table, how) {
  const owner = owners.get(table);
  if (owner !== undefined && owner !== lib) {
    report(sf, pos, `${lib} repository ${how} "${table}", owned by ${owner}: use ${owner}'s public API`);
  }
}

function entityOf(expr) {
  let symbol = checker.getSymbolAtLocation(expr);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  for (const declaration of symbol?.declarations ?? []) {
    const entity = entities.get(declaration);
    if (entity) return entity;
  }
  if (symbol?.declarations?.length) return undefined;
  // Unresolved (no types): fall back to the class name when exactly one entity has it.
  const named = [...entities.values()].filter((e) => e.name === expr.getText());
  return named.length === 1 ? named[0] : undefined;
}

function checkRepositoryCall(call, sf, lib) {
  for (const arg of call.arguments) {
    if (ts.isIdentifier(arg)) {
      const entity = entityOf(arg);
      if (entity)
        reportForeignTable(sf, arg.getStart(sf), lib, entity.table, `uses entity ${arg.text} of table`);
    }
  }
  const callee = call.expression;
  const [first] = call.arguments;
  if (ts.isPropertyAccessExpression(callee) && TABLE_ARGUMENT_CALLS.has(callee.name.text) && first) {
    if (ts.isStringLiteralLike(first)) {
      reportForeignTable(sf, first.getStart(sf), lib, bareTable(first.text), 'names table');
    }
  }
}

const RELATIONS = new Set(['ManyToOne', 'OneToOne', 'OneToMany', 'ManyToMany']);

/** The entity a relation decorator points at: `() => Entity` or the entity's name. */
function relationTarget(call) {
  const [target] = call.arguments;
  if (!target) return undefined;
  if (ts.isArrowFunction(target) && ts.isIdentifier(target.body)) return entityOf(target.body);
  if (ts.isStringLiteralLike(target)) {
    const named = [...entities.values()].filter((e) => e.name === target.text || e.table === target.text);
    return named.length === 1 ? named[0] : undefined;
  }
  return undefined;
}

function checkRelation(decorator, sf, lib) {
  const call = decorator.expression;
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || !RELATIONS.has(call.expression.text))
    return;
  const entity = relationTarget(call);
  if (entity && entity.lib !== lib) {
    report(
      sf,
      call.getStart(sf),
      `${lib} entity relates to ${entity.name} (table "${entity.table}", owned by ${entity.lib}): ` +
        `a relation joins another lib's table; keep the id and use ${entity.lib}'s public API`,
    );
  }
}

/** The start of an SQL statement in a literal's text (after its opening quote). */
const SQL_STATEMENT =
  /^[`'"]\s*(SELECT\s[\s\S]*\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s+\S+(\s+(WHERE|USING|RETURNING)\s|\s*[`'"])|WITH\s+\S+\s+AS\s*\(|COPY\s|TRUNCATE\s)/;

/** A literal passed straight to a query call, which is reported as that call already. */
const isQueryArgument = (node) =>
  ts.isCallExpression(node.parent) &&
  node.parent.arguments.includes(node) &&
  queryCallReason(node.parent) !== undefined;

// ---- Walk ------------------------------------------------------------------------------

let repositories = 0;
for (const file of checkedFiles) {
  const sf = program.getSourceFile(file);
  const path = rel(file);
  const lib = ownerOf(file);
  const repository = isRepository(file);
  if (repository) repositories++;
  const exempt = INFRASTRUCTURE.has(path);
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      if (!repository && !exempt) {
        const reason = queryCallReason(node);
        if (reason) {
          const at = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
          report(
            sf,
            at.getStart(sf),
            `${reason} outside a repository: move it into a *.repository.ts of ${lib}`,
          );
        }
      }
      if (repository) checkRepositoryCall(node, sf, lib);
    }
    if (ts.isDecorator(node)) checkRelation(node, sf, lib);
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateExpression(node)
    ) {
      if (repository) checkSqlTables(node, sf, lib);
      else if (!exempt && !isQueryArgument(node) && SQL_STATEMENT.test(stringText(node, sf))) {
        report(
          sf,
          node.getStart(sf),
          `SQL text outside a repository: move it into a *.repository.ts of ${lib}`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

// A nested literal inside a template is seen twice; one line per finding.
const unique = [...new Map(violations.map((v) => [`${v.file}:${v.line}: ${v.message}`, v])).entries()].sort(
  ([, a], [, b]) => a.file.localeCompare(b.file) || a.line - b.line,
);

if (unique.length > 0) {
  process.stdout.write(unique.map(([line]) => `${line}\n`).join(''));
  process.stderr.write(`persistence: ${unique.length} violation(s)\n`);
  process.exit(1);
}
const libs = new Set(owners.values());
process.stdout.write(
  `persistence: ${checkedFiles.length} files, ${repositories} repositories, ${owners.size} tables owned by ${libs.size} libs: ` +
    "no query outside a repository, no repository naming another lib's table\n",
);
