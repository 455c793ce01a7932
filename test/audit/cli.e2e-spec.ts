import { signTreeHead, type SignedAuditCheckpoint } from '@orderops/audit';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asOwnerWithoutTriggers, rewriteLog, sequenceNow } from '../support/audit.js';
import { createClient, TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { runCli } from '../support/processes.js';
import { startTestApp } from '../support/test-app.js';
import { makeTempDir, provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

/** `audit verify`'s exit code for a checkpoint that cannot be trusted. */
const UNTRUSTWORTHY = 3;

interface Report {
  valid: boolean;
  checked: number;
  lastSeq: number;
  rootHash: string;
  pending: number;
  brokenAt?: { seq: number; reason: string };
  checkpoint?: { treeSize: number; rootHash: string; signature: string };
}

describe(
  'orderops audit (built CLI)',
  // Each case boots the CLI (and Nest with the database) several times on a loaded machine.
  { timeout: 120_000 },
  () => {
    let db: TestDatabase;
    let env: Record<string, string>;
    const files = makeTempDir('orderops-checkpoints-');
    const file = (name: string, content: string): string => {
      const path = join(files, name);
      writeFileSync(path, content);
      return path;
    };
    const verify = (...args: string[]) => {
      const res = runCli(['audit', 'verify', ...args], env);
      return { status: res.status, stderr: res.stderr, report: JSON.parse(res.stdout || 'null') as Report };
    };
    /** An in-process app for the database edits, closed before the next CLI run opens the files itself. */
    const withApp = async (
      fn: (ds: DataSource, app: Awaited<ReturnType<typeof startTestApp>>) => Promise<void>,
    ) => {
      const t = await startTestApp({ ...env, ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
      try {
        await fn(t.app.get(DataSource), t);
      } finally {
        await t.close();
      }
    };

    beforeAll(async () => {
      db = await provisionTestDatabase();
      env = db.env;
      await withApp(async (_ds, t) => {
        const admin = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
        await createClient(t.app, admin, 'CLI audit', ['orders:read']);
      });
    });
    afterAll(async () => db?.dispose());

    let checkpointFile: string;
    let checkpoint: SignedAuditCheckpoint;

    it('verify: exit 0 and the report as JSON on a valid log (events the API left unsequenced are sequenced first)', () => {
      const { status, report } = verify();
      expect(status).toBe(0);
      expect(report).toMatchObject({ valid: true, checked: 3, lastSeq: 3, pending: 0 });
      expect(report.rootHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('checkpoint: the signed tree head, ES256 with the current signing key; verify --checkpoint accepts it', () => {
      const res = runCli(['audit', 'checkpoint'], env);
      expect(res.status, res.stderr).toBe(0);
      checkpoint = JSON.parse(res.stdout) as SignedAuditCheckpoint;
      // treeSize is the same JSON integer in the checkpoint as lastSeq in every verify report.
      expect(checkpoint).toMatchObject({ treeSize: 3, rootHash: verify().report.rootHash });
      expect(checkpoint.jws.split('.')).toHaveLength(3);
      checkpointFile = file('checkpoint.json', res.stdout);
      const checked = verify('--checkpoint', checkpointFile);
      expect(checked.status).toBe(0);
      expect(checked.report).toMatchObject({ valid: true, checkpoint: { treeSize: 3, signature: 'valid' } });
    });

    it('verify --checkpoint detects a history rewritten with its tree recomputed, which a plain verify cannot', async () => {
      await withApp(async (ds, t) => {
        await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD); // the log grows past the checkpoint
        await sequenceNow(t.app);
        await rewriteLog(ds, (e) => (e.seq === '2' ? { ...e.details, scopes: ['orders:read'] } : e.details));
      });
      expect(verify().status).toBe(0);
      const checked = verify('--checkpoint', checkpointFile);
      expect(checked.status).toBe(1);
      expect(checked.report).toMatchObject({
        valid: false,
        brokenAt: { seq: 3, reason: 'checkpoint_mismatch' },
        checkpoint: { signature: 'valid' },
      });
    });

    const untrustworthy = (path: string, why: string) =>
      `orderops: untrustworthy checkpoint ${path}: ${why}; the log was not compared with it\n`;
    const forgedWith = `its signature does not verify with signing key`;

    it('verify --checkpoint: a checkpoint whose signature does not hold is untrustworthy (exit 3), not a broken log', () => {
      const edited = file(
        'edited.json',
        JSON.stringify({ ...checkpoint, rootHash: verify().report.rootHash }),
      );
      const res = verify('--checkpoint', edited);
      expect(res.status).toBe(UNTRUSTWORTHY);
      expect(res.stderr).toBe(
        untrustworthy(edited, `${forgedWith} ${checkpoint.kid} (forged, or altered after signing)`),
      );
      expect(res.report).toMatchObject({ valid: false, checkpoint: { signature: 'invalid' } });
      expect(res.report.brokenAt).toBeUndefined();

      // Forged with another key, naming a root the log does not have at size 2: compared with
      // the log it would read as "broken at 2"; it is reported as what it is.
      const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const forged = signTreeHead(
        { treeSize: '2', rootHash: 'f'.repeat(64), at: new Date().toISOString() },
        { kid: checkpoint.kid, privateKey: foreign },
      );
      const forgedFile = file('forged.json', JSON.stringify(forged));
      const res2 = verify('--checkpoint', forgedFile);
      expect(res2.status).toBe(UNTRUSTWORTHY);
      expect(res2.stderr).toContain(`untrustworthy checkpoint ${forgedFile}`);
      expect(res2.report.checkpoint).toMatchObject({ treeSize: 2, signature: 'invalid' });
      expect(res2.report.brokenAt).toBeUndefined();
      expect(typeof res2.report.checkpoint?.treeSize).toBe(typeof res2.report.lastSeq);

      const unknownKey = signTreeHead(
        { treeSize: '2', rootHash: 'f'.repeat(64), at: new Date().toISOString() },
        { kid: 'no-such-key', privateKey: foreign },
      );
      const unknownFile = file('unknown-key.json', JSON.stringify(unknownKey));
      const res3 = verify('--checkpoint', unknownFile);
      expect(res3.status).toBe(UNTRUSTWORTHY);
      expect(res3.stderr).toBe(
        untrustworthy(
          unknownFile,
          'it names signing key no-such-key, which this database does not hold, so its signature cannot be checked',
        ),
      );
      expect(res3.report).toMatchObject({ valid: false, checkpoint: { signature: 'unknown_key' } });
      expect(res3.report.brokenAt).toBeUndefined();

      const garbagePath = file('garbage.json', '{"seq":1}');
      const garbage = runCli(['audit', 'verify', '--checkpoint', garbagePath], env);
      expect(garbage.status).toBe(1);
      expect(garbage.stderr).toBe(`orderops: ${garbagePath} is not an OrderOps audit checkpoint\n`);
    });

    it('verify: exit 1 naming the edited event', async () => {
      await withApp(async (ds) => {
        await asOwnerWithoutTriggers(ds, (m) =>
          m.query(`UPDATE audit_events SET details = details || '{"x": 1}' WHERE seq = 2`),
        );
      });
      const { status, report } = verify();
      expect(status).toBe(1);
      expect(report).toMatchObject({
        valid: false,
        checked: 1,
        lastSeq: 1,
        brokenAt: { seq: 2, reason: 'hash_mismatch' },
      });
      // A broken log is the louder alarm: exit 1 even beside an untrustworthy checkpoint.
      const withForged = verify('--checkpoint', join(files, 'forged.json'));
      expect(withForged.status).toBe(1);
      expect(withForged.report.brokenAt).toEqual({ seq: 2, reason: 'hash_mismatch' });
      expect(withForged.stderr).toContain('untrustworthy checkpoint');
    });
  },
);
