import { existsSync, readdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../support/auth.js';
import { postImport, uniqueCsv, type ImportReportBody } from '../support/imports.js';
import { slowUpload, within, type SlowUpload, type UploadResponse } from '../support/slow-upload.js';
import type { TestApp } from '../support/test-app.js';
import type { TestDatabase } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

/** Generous bounds against hanging; nothing here asserts how fast anything is. */
const ANSWER_WITHIN_MS = 20_000;

async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const spoolsIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

/** The first bytes of a file whose rows keep coming: a header and one row unique to it. */
const opening = (tag: string): string => `product,price,quantity\nOpening ${tag} ${Date.now()},1.00,1\n`;

interface Problem {
  type: string;
  status: number;
  detail: string;
}

function problemOf(res: UploadResponse): Problem {
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  return JSON.parse(res.body) as Problem;
}

async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

describe('slow uploads do not hold the database', () => {
  const POOL_SIZE = 4;
  const t = useTestApp({
    env: {
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      IMPORT_MAX_CONCURRENT: String(POOL_SIZE),
      IMPORT_MAX_CONCURRENT_PER_PRINCIPAL: String(POOL_SIZE),
    },
    operators: { loader: ['orders:import'], viewer: ['orders:read'] },
  });
  let db: TestDatabase;
  let url: string;
  let importer: string;
  let reader: string;
  let spoolDir: string;

  beforeAll(async () => {
    db = t.db;
    spoolDir = join(db.env.ORDEROPS_DATA_DIR, 'uploads');
    importer = t.token('loader');
    reader = t.token('viewer');
    url = await listen(t);
  });

  it('while uploads trickle in, /health/ready and GET /orders answer; then the uploads import', async () => {
    // Enough to take every pool connection on PostgreSQL; one takes the embedded session.
    const n = db.kind === 'postgres' ? POOL_SIZE : 1;
    const uploads: SlowUpload[] = Array.from({ length: n }, () => slowUpload(url, importer));
    try {
      await Promise.all(uploads.map((u, i) => u.send(opening(`slow-${i}`))));
      for (const u of uploads) u.trickle('Trickled row,1.00,1\n', 100);
      const probe = async (): Promise<void> => {
        const ready = await within(fetch(`${url}/health/ready`), ANSWER_WITHIN_MS, 'GET /health/ready');
        expect(ready.status).toBe(200);
        const orders = await within(
          fetch(`${url}/orders`, { headers: bearer(reader) }),
          ANSWER_WITHIN_MS,
          'GET /orders',
        );
        expect(orders.status).toBe(200);
      };
      // Once the server has had time to take the uploads in, and again once all are seen
      // being received (their spools exist, their bodies still open).
      await new Promise((resolve) => setTimeout(resolve, 500));
      await probe();
      await waitFor(() => spoolsIn(spoolDir).length === n, `${n} uploads being received`);
      await probe();

      // Received privately: a 0600 file in a 0700 directory.
      expect(statSync(spoolDir).mode & 0o777).toBe(0o700);
      for (const name of spoolsIn(spoolDir)) expect(statSync(join(spoolDir, name)).mode & 0o777).toBe(0o600);

      await Promise.all(uploads.map((u) => u.finish('Last row,1.00,1\n')));
      const answers = await within(
        Promise.all(uploads.map((u) => u.response)),
        ANSWER_WITHIN_MS * 3,
        'the uploads',
      );
      for (const answer of answers) {
        expect(answer.status, answer.body).toBe(201);
        const report = JSON.parse(answer.body) as ImportReportBody;
        expect(report.status).toBe('completed');
        expect(report.rejected).toBe(0);
        expect(report.orders).toBe(report.rows);
      }
      expect(spoolsIn(spoolDir)).toEqual([]);
    } finally {
      for (const u of uploads) u.destroy();
    }
  }, 120_000);
});

describe('import caps and the idle timeout', () => {
  const IDLE_MS = 1000;
  const t = useTestApp({
    env: {
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      IMPORT_MAX_CONCURRENT: '2',
      IMPORT_MAX_CONCURRENT_PER_PRINCIPAL: '1',
      IMPORT_IDLE_TIMEOUT_MS: String(IDLE_MS),
    },
    operators: {
      'loader-a': ['orders:import'],
      'loader-b': ['orders:import'],
      'loader-c': ['orders:import'],
    },
  });
  let ds: DataSource;
  let url: string;
  let spoolDir: string;
  const tokens: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };

  const orderCount = async (): Promise<number> =>
    Number((await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM orders'))[0].n);
  const importCount = async (): Promise<number> =>
    Number((await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM imports'))[0].n);

  beforeAll(async () => {
    spoolDir = join(t.db.env.ORDEROPS_DATA_DIR, 'uploads');
    ds = t.app.get(DataSource);
    for (const name of ['a', 'b', 'c'] as const) tokens[name] = t.token(`loader-${name}`);
    url = await listen(t);
  });

  /** An upload that stays open (a row every 100 ms, well inside the idle timeout). */
  async function heldUpload(token: string, tag: string): Promise<SlowUpload> {
    const upload = slowUpload(url, token);
    await upload.send(opening(tag));
    upload.trickle('Held row,1.00,1\n', 100);
    return upload;
  }

  function expectBusy(res: { statusCode: number; headers: Record<string, unknown>; body: string }): Problem {
    expect(res.statusCode, res.body).toBe(429);
    expect(String(res.headers['content-type'])).toContain('application/problem+json');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const body = JSON.parse(res.body) as Problem;
    expect(body.type).toBe('urn:orderops:problem:imports-busy');
    return body;
  }

  it('one import per principal at a time: a second gets 429 + Retry-After, another principal goes ahead', async () => {
    const held = await heldUpload(tokens.a, 'cap-a');
    try {
      await waitFor(() => spoolsIn(spoolDir).length === 1, 'the first upload being received');
      const imports = await importCount();
      const second = await postImport(t.app, tokens.a, uniqueCsv(['Second,1.00,1']));
      expect(expectBusy(second).detail).toMatch(/You have/);
      // Refused before anything was received or recorded.
      expect(spoolsIn(spoolDir)).toHaveLength(1);
      expect(await importCount()).toBe(imports);
      const other = await postImport(t.app, tokens.b, uniqueCsv(['Other,1.00,1']));
      expect(other.statusCode, other.body).toBe(201);
    } finally {
      await held.finish();
    }
    expect((await within(held.response, ANSWER_WITHIN_MS, 'the held upload')).status).toBe(201);
    // Its slot is free again.
    expect((await postImport(t.app, tokens.a, uniqueCsv(['After,1.00,1']))).statusCode).toBe(201);
  }, 60_000);

  it('at most IMPORT_MAX_CONCURRENT in all: 429 without reading the body, until a slot frees', async () => {
    const held = [await heldUpload(tokens.a, 'all-a'), await heldUpload(tokens.b, 'all-b')];
    try {
      await waitFor(() => spoolsIn(spoolDir).length === 2, 'two uploads being received');
      // Headers only, the body never sent: the answer comes anyway.
      const third = slowUpload(url, tokens.c, { 'content-length': '1000000' });
      const answer = await within(third.response, ANSWER_WITHIN_MS, 'the third upload');
      third.destroy();
      expect(answer.status, answer.body).toBe(429);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      const body = problemOf(answer);
      expect(body.type).toBe('urn:orderops:problem:imports-busy');
      expect(body.detail).toMatch(/service allows/);
      expect(spoolsIn(spoolDir)).toHaveLength(2);
    } finally {
      await Promise.all(held.map((u) => u.finish()));
    }
    for (const u of held)
      expect((await within(u.response, ANSWER_WITHIN_MS, 'a held upload')).status).toBe(201);
    expect((await postImport(t.app, tokens.c, uniqueCsv(['Later,1.00,1']))).statusCode).toBe(201);
  }, 60_000);

  it('an upload that goes silent gets 408: spool removed, nothing imported, the import failed', async () => {
    const orders = await orderCount();
    const imports = await importCount();
    const silent = slowUpload(url, tokens.a);
    await silent.send(opening('silent'));
    const answer = await within(silent.response, ANSWER_WITHIN_MS, 'the silent upload');
    silent.destroy();
    expect(answer.status, answer.body).toBe(408);
    expect(problemOf(answer).type).toBe('urn:orderops:problem:import-idle-timeout');
    expect(spoolsIn(spoolDir)).toEqual([]);
    expect(await orderCount()).toBe(orders);
    expect(await importCount()).toBe(imports + 1);
    const [last] = await ds.query<{ status: string; report: ImportReportBody }[]>(
      'SELECT status, report FROM imports ORDER BY id DESC LIMIT 1',
    );
    expect(last.status).toBe('failed');
    expect(last.report.error?.code).toBe('import-idle-timeout');
    const running = await ds.query<{ id: string }[]>(`SELECT id FROM imports WHERE status = 'running'`);
    expect(running).toEqual([]);
    // The slot went with it.
    expect((await postImport(t.app, tokens.a, uniqueCsv(['Next,1.00,1']))).statusCode).toBe(201);
  }, 60_000);

  it('an upload slower in total than the idle timeout, but never silent that long, imports', async () => {
    const upload = await heldUpload(tokens.b, 'steady');
    // Bytes keep coming for several idle periods.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 3));
    await upload.finish('Final row,1.00,1\n');
    const answer = await within(upload.response, ANSWER_WITHIN_MS, 'the steady upload');
    expect(answer.status, answer.body).toBe(201);
    expect((JSON.parse(answer.body) as ImportReportBody).rows).toBeGreaterThan(3);
  }, 60_000);

  it('an aborted upload leaves no spool and frees its slot', async () => {
    const upload = await heldUpload(tokens.c, 'aborted');
    await waitFor(() => spoolsIn(spoolDir).length === 1, 'the upload being received');
    upload.destroy();
    await waitFor(() => spoolsIn(spoolDir).length === 0, 'the spool to go');
    await waitFor(
      async () => (await postImport(t.app, tokens.c, uniqueCsv(['Again,1.00,1']))).statusCode === 201,
      'the slot to free',
    );
  }, 60_000);
});
