import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../support/audit.js';
import { SAMPLE_CSV } from '../support/imports.js';
import { runCli } from '../support/processes.js';
import { startTestApp } from '../support/test-app.js';
import { makeTempDir, provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

describe(
  'orderops import (built CLI)',
  // Each case boots the CLI (and Nest with the database) several times on a loaded machine.
  { timeout: 120_000 },
  () => {
    let db: TestDatabase;
    const dir = makeTempDir('orderops-import-cli-');
    const file = (name: string, content: string): string => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    };
    /** An in-process app for the queries, closed before the next CLI run opens the files itself. */
    const query = async <T>(sql: string): Promise<T> => {
      const t = await startTestApp(db.env);
      try {
        return await t.app.get(DataSource).query<T>(sql);
      } finally {
        await t.close();
      }
    };
    const orderCount = async () =>
      Number((await query<{ n: string }[]>('SELECT count(*) AS n FROM orders'))[0].n);

    beforeAll(async () => {
      db = await provisionTestDatabase();
      expect(runCli(['migrate'], db.env).status).toBe(0);
    });
    afterAll(async () => db?.dispose());

    let firstId: string;

    it('imports the reference sample: exit 0 and a plain summary (no progress bar off a TTY)', () => {
      const res = runCli(['import', SAMPLE_CSV], db.env);
      expect(res.status, res.stderr).toBe(0);
      firstId = /Imported: (IMP-[0-9A-Z]{26})/.exec(res.stdout)?.[1] ?? '';
      expect(firstId).not.toBe('');
      expect(res.stdout).toContain('rows 6, accepted 4, rejected 2, orders 4');
      // The messages, as the API words them, not the validator codes.
      expect(res.stdout).toContain('line 5: product must be longer than or equal to 1 characters');
      expect(res.stdout).toContain(
        'line 6: price must be a decimal string > 0 and <= 1000000 with at most 3 decimals (and no more than its currency has)',
      );
      expect(res.stdout).not.toMatch(/isLength|isPositiveMoney|too_short|invalid_amount/);
      expect(res.stderr).not.toContain('\r');
    });

    it('attributes the orders to the operating-system account and audits the system actor', async () => {
      const rows = await query<{ created_by: string }[]>('SELECT DISTINCT created_by FROM orders');
      expect(rows).toEqual([{ created_by: `cli:${userInfo().username}` }]);
      const t = await startTestApp(db.env);
      try {
        const [event] = await storedEvents(t.app.get(DataSource), 'import.completed');
        expect(event).toMatchObject({ actor_type: 'system', actor: 'cli', target_id: firstId });
      } finally {
        await t.close();
      }
    });

    it('exit 1 naming the first import for the same file; --allow-duplicate imports it again', async () => {
      const again = runCli(['import', SAMPLE_CSV], db.env);
      expect(again.status).toBe(1);
      expect(again.stderr).toBe(
        `orderops: ${SAMPLE_CSV} (same SHA-256) was imported before as ${firstId}; pass --allow-duplicate to import it again\n`,
      );
      expect(await orderCount()).toBe(4);
      const allowed = runCli(['import', SAMPLE_CSV, '--allow-duplicate'], db.env);
      expect(allowed.status, allowed.stderr).toBe(0);
      expect(await orderCount()).toBe(8);
    });

    it('--strict: exit 2 and nothing imported when rows are rejected; exit 0 for a clean file', async () => {
      const strict = runCli(['import', SAMPLE_CSV, '--strict', '--allow-duplicate'], db.env);
      expect(strict.status).toBe(2);
      expect(strict.stdout).toContain('Rejected (strict: nothing imported)');
      expect(strict.stdout).toContain('line 5: product must be longer than or equal to 1 characters');
      expect(await orderCount()).toBe(8);
      const clean = runCli(
        ['import', file('clean.csv', 'product,price,quantity\nPen,1.50,3\n'), '--strict'],
        db.env,
      );
      expect(clean.status, clean.stderr).toBe(0);
      expect(await orderCount()).toBe(9);
    });

    it('exit 1 for a missing file or one that is not an order file', () => {
      const missing = runCli(['import', join(dir, 'nope.csv')], db.env);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toBe(`orderops: cannot read ${join(dir, 'nope.csv')}: no such file\n`);
      const bad = runCli(['import', file('bad.csv', 'name,email\nx,y\n')], db.env);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/Header column 1 is not one of/);
    });
  },
);
