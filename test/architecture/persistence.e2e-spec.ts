import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/test-database.js';

/**
 * The persistence boundary checker (issue 12): no query outside a repository, no repository
 * naming another lib's table. Each case is a small project tree in a temporary directory,
 * type-checked like the real one (the repository's node_modules linked in for typeorm's and
 * Node's types), then the whole real tree.
 */
const SCRIPT = resolve('scripts/architecture/persistence.mjs');

interface Run {
  readonly status: number | null;
  readonly lines: string[];
}

function run(root: string): Run {
  const result = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
  return { status: result.status, lines: result.stdout.split('\n').filter((line) => line.length > 0) };
}

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    experimentalDecorators: true,
    skipLibCheck: true,
    types: ['node'],
    paths: {
      '@fx/core': ['./libs/core/src/index.ts'],
      '@fx/pii': ['./libs/pii/src/index.ts'],
    },
  },
});

/** Files every fixture shares: two libs owning a table each, and core's Database. */
const BASE: Record<string, string> = {
  'tsconfig.json': TSCONFIG,
  'libs/core/src/index.ts': `export class Database {
  async read<T>(sql: string, params: unknown[]): Promise<T[]> { return [sql, params] as unknown as T[]; }
}\n`,
  'libs/pii/src/migrations/1-create-customers.ts':
    'export const up = `CREATE TABLE "customers" ("id" uuid)`;\n',
  'libs/pii/src/customer.entity.ts': `import { Entity } from 'typeorm';
@Entity({ name: 'customers' })
export class CustomerEntity {}\n`,
  'libs/pii/src/index.ts': "export { CustomerEntity } from './customer.entity.js';\n",
  'libs/orders/src/migrations/1-create-orders.ts': `export const up = \`CREATE TABLE IF NOT EXISTS "orders" ("id" uuid)\`;
export const down = 'DROP TABLE "orders"';\n`,
  'libs/orders/src/order.entity.ts': `import { Entity } from 'typeorm';
@Entity('orders')
export class OrderEntity {}\n`,
};

const roots: string[] = [];

function tree(files: Record<string, string>): string {
  const root = makeTempDir('orderops-persistence-');
  roots.push(root);
  for (const [path, text] of Object.entries({ ...BASE, ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

/** Runs once, when a test first needs it: each run type-checks a tree, which takes seconds. */
function once(make: () => Run): () => Run {
  let result: Run | undefined;
  return () => (result ??= make());
}

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Neither a stream's read() nor a Map's delete() is a query, whatever the variable is called. */
const SPOOL = `import { Readable } from 'node:stream';
export function drain(): unknown[] {
  const stream = Readable.from(['a', 'b']);
  const database = Readable.from(['c']);
  const manager = new Map<string, number>();
  manager.delete('x');
  const found = [1, 2].find((n) => n > 1);
  return [stream.read(), database.read(), found];
}\n`;

const good = once(() =>
  run(
    tree({
      'libs/orders/src/orders.repository.ts': `import { DataSource, type EntityManager } from 'typeorm';
import { Database } from '@fx/core';
import { OrderEntity } from './order.entity.js';
export class OrdersRepository {
  constructor(private readonly dataSource: DataSource, private readonly database: Database) {}
  getById(id: string) {
    return this.database.read('SELECT o.id FROM orders o WHERE o.id = $1', [id]);
  }
  create(manager: EntityManager) {
    return manager.getRepository(OrderEntity).insert({});
  }
  count() {
    return this.dataSource.query(\`SELECT count(*) FROM "public"."orders"\`);
  }
}\n`,
      'libs/orders/src/orders.service.ts': `import { OrdersRepository } from './orders.repository.js';
export class OrdersService {
  constructor(private readonly repository: OrdersRepository) {}
  get(id: string) { return this.repository.getById(id); }
  // Words, not SQL: lower-case keywords, or no statement shape.
  readonly hints = ['SELECT a customer from the list', 'Update the order', \`DELETE FROM is refused\`];
}\n`,
      'libs/orders/src/spool.ts': SPOOL,
      // Relations inside one lib, by class and by name.
      'libs/orders/src/order-item.entity.ts': `import { Entity, ManyToOne } from 'typeorm';
import { OrderEntity } from './order.entity.js';
@Entity('order_items')
export class OrderItemEntity {
  @ManyToOne(() => OrderEntity) order!: OrderEntity;
  @ManyToOne('OrderEntity') again!: unknown;
}\n`,
      // Specs and migrations may query directly.
      'libs/orders/src/orders.spec.ts': `declare const ds: { query(sql: string): void };
ds.query('SELECT * FROM customers');\n`,
    }),
  ),
);

/** One tree holding every kind of violation, each in its own file. */
const bad = once(() =>
  run(
    tree({
      'libs/orders/src/orders.service.ts': `import { DataSource } from 'typeorm';
export class OrdersService {
  constructor(private readonly dataSource: DataSource) {}
  async count() {
    return this.dataSource.query('SELECT count(*) FROM orders');
  }
}\n`,
      'apps/cli/src/report.ts': `import type { EntityManager } from 'typeorm';
import { Database } from '@fx/core';
import { OrderEntity } from '../../../libs/orders/src/order.entity.js';
declare function InjectRepository(entity: unknown): ParameterDecorator;
export class Report {
  constructor(@InjectRepository(OrderEntity) readonly orders: unknown, private readonly db: Database) {}
  async run(manager: EntityManager) {
    await manager.save(OrderEntity, {});
    await manager.findOneBy(OrderEntity, {});
    return this.db.read('SELECT 1', []);
  }
}\n`,
      'libs/orders/src/spool.ts': SPOOL,
      // SQL built in a service and handed to a repository to run is SQL outside a repository.
      'libs/orders/src/order-report.service.ts': `export class OrderReportService {
  constructor(private readonly repository: { run(sql: string): unknown }) {}
  totals() {
    const sql = \`SELECT owner, sum(total) FROM orders GROUP BY owner\`;
    return this.repository.run(sql);
  }
  remove(id: string) {
    return this.repository.run("DELETE FROM orders WHERE id = '" + id + "'");
  }
}\n`,
      'libs/orders/src/orders.repository.ts': `import { DataSource } from 'typeorm';
import { CustomerEntity } from '@fx/pii';
export class OrdersRepository {
  constructor(private readonly dataSource: DataSource) {}
  load(id: string) {
    return this.dataSource.query(
      \`SELECT o.id, to_jsonb(c) AS customer
         FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
        WHERE o.id = \${'$1'}\`,
      [id],
    );
  }
  both() {
    return this.dataSource.query('SELECT 1 FROM orders o, public.customers c');
  }
  customer(id: string) {
    return this.dataSource.getRepository(CustomerEntity).findOneBy({ id });
  }
  builder() {
    return this.dataSource.createQueryBuilder().select().from('customers', 'c').getMany();
  }
}\n`,
      'libs/orders/src/order-customer.entity.ts': `import { Entity, ManyToOne, OneToOne } from 'typeorm';
import { CustomerEntity } from '@fx/pii';
@Entity('order_customers')
export class OrderCustomerEntity {
  @ManyToOne(() => CustomerEntity) customer!: CustomerEntity;
  @OneToOne('CustomerEntity') again!: unknown;
}\n`,
      'libs/orders/src/migrations/2-create-imports.ts':
        'export const up = `CREATE TABLE imports (id uuid)`;\n',
      'libs/pii/src/migrations/2-create-imports.ts':
        'export const up = `CREATE TABLE "public"."imports" (id uuid)`;\n',
    }),
  ),
);

const linesOf = (result: Run, path: string): string[] =>
  result.lines.filter((line) => line.startsWith(`${path}:`));

describe('persistence boundary checker', { timeout: 300_000 }, () => {
  it('passes a tree whose SQL and TypeORM queries all live in repositories of the owning lib', () => {
    expect(good().lines).toEqual([
      expect.stringMatching(/^persistence: \d+ files, 1 repositories, 3 tables owned by 2 libs: /),
    ]);
    expect(good().status).toBe(0);
  });

  it('fails on a query in a service, naming the file and line', () => {
    expect(bad().status).toBe(1);
    expect(linesOf(bad(), 'libs/orders/src/orders.service.ts')).toEqual([
      'libs/orders/src/orders.service.ts:5: .query() outside a repository: move it into a *.repository.ts of orders',
    ]);
  });

  it('fails on TypeORM manager calls, Database.read and InjectRepository outside a repository', () => {
    const where = 'outside a repository: move it into a *.repository.ts of apps/cli';
    expect(linesOf(bad(), 'apps/cli/src/report.ts')).toEqual([
      `apps/cli/src/report.ts:6: InjectRepository() ${where}`,
      `apps/cli/src/report.ts:8: .save() on EntityManager ${where}`,
      `apps/cli/src/report.ts:9: .findOneBy() on EntityManager ${where}`,
      `apps/cli/src/report.ts:10: Database.read() ${where}`,
    ]);
  });

  it('fails on SQL text in a service that a repository would run, once per literal', () => {
    const where = 'SQL text outside a repository: move it into a *.repository.ts of orders';
    expect(linesOf(bad(), 'libs/orders/src/order-report.service.ts')).toEqual([
      `libs/orders/src/order-report.service.ts:4: ${where}`,
      `libs/orders/src/order-report.service.ts:8: ${where}`,
    ]);
    expect(linesOf(good(), 'libs/orders/src/orders.service.ts')).toEqual([]);
  });

  it("does not flag a stream's read() or a Map's delete(), even under a database-like name", () => {
    expect(linesOf(bad(), 'libs/orders/src/spool.ts')).toEqual([]);
    expect(linesOf(good(), 'libs/orders/src/spool.ts')).toEqual([]);
  });

  it("fails on a repository of orders reading pii's customers, by SQL text and by entity", () => {
    const path = 'libs/orders/src/orders.repository.ts';
    const foreign = (line: number, how: string): string =>
      `${path}:${line}: orders repository ${how} "customers", owned by pii: use pii's public API`;
    expect(linesOf(bad(), path)).toEqual([
      foreign(8, 'names table'),
      foreign(14, 'names table'),
      foreign(17, 'uses entity CustomerEntity of table'),
      foreign(20, 'names table'),
    ]);
  });

  it("fails on an entity's relation to another lib's entity, by class and by name", () => {
    const path = 'libs/orders/src/order-customer.entity.ts';
    const relation = (line: number): string =>
      `${path}:${line}: orders entity relates to CustomerEntity (table "customers", owned by pii): ` +
      "a relation joins another lib's table; keep the id and use pii's public API";
    expect(linesOf(bad(), path)).toEqual([relation(5), relation(6)]);
  });

  it('fails when two libs claim one table', () => {
    expect(linesOf(bad(), 'libs/pii/src/migrations/2-create-imports.ts')).toEqual([
      expect.stringMatching(
        /^libs\/pii\/src\/migrations\/2-create-imports\.ts:1: table "imports" is claimed by pii and by orders /,
      ),
    ]);
  });

  it('reports nothing else in the bad tree', () => {
    const files = new Set(bad().lines.map((line) => line.split(':')[0]));
    expect([...files].sort()).toEqual([
      'apps/cli/src/report.ts',
      'libs/orders/src/order-customer.entity.ts',
      'libs/orders/src/order-report.service.ts',
      'libs/orders/src/orders.repository.ts',
      'libs/orders/src/orders.service.ts',
      'libs/pii/src/migrations/2-create-imports.ts',
    ]);
  });

  it('finds no violation anywhere in this repository', () => {
    const result = run(resolve('.'));
    expect(result.lines).toEqual([
      expect.stringMatching(
        /^persistence: \d+ files, \d+ repositories, \d+ tables owned by \d+ libs: no query/,
      ),
    ]);
    expect(result.status).toBe(0);
  });
});
