import { signAuditCheckpoint, type SignedAuditCheckpoint } from '@orderops/audit';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asOwnerWithoutTriggers, rewriteTail, storedEvents } from '../support/audit.js';
import { createClient, TEST_ADMIN_PASSWORD, tokenFor } from '../support/auth.js';
import { runCli } from '../support/processes.js';
import { startTestApp } from '../support/test-app.js';
import { makeTempDir, provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

interface Report {
  valid: boolean;
  checked: number;
  lastSeq: number;
  lastHash: string;
  brokenAt?: { seq: number; reason: string };
  checkpoint?: { seq: number; hash: string; signature: string };
}

describe('orderops audit (built CLI)', () => {
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
  /** The API and, on the embedded database, the CLI cannot hold the data directory at once. */
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

  it('verify: exit 0 and the report as JSON on a valid chain', () => {
    const { status, report } = verify();
    expect(status).toBe(0);
    expect(report).toMatchObject({ valid: true, checked: 3, lastSeq: 3 });
    expect(report.lastHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('checkpoint: the head, signed ES256 with the current signing key; verify --checkpoint accepts it', () => {
    const res = runCli(['audit', 'checkpoint'], env);
    expect(res.status, res.stderr).toBe(0);
    checkpoint = JSON.parse(res.stdout) as SignedAuditCheckpoint;
    expect(checkpoint).toMatchObject({ seq: '3', hash: verify().report.lastHash });
    expect(checkpoint.jws.split('.')).toHaveLength(3);
    checkpointFile = file('checkpoint.json', res.stdout);
    const checked = verify('--checkpoint', checkpointFile);
    expect(checked.status).toBe(0);
    expect(checked.report).toMatchObject({ valid: true, checkpoint: { seq: 3, signature: 'valid' } });
  });

  it('verify --checkpoint detects a tail rewritten with recomputed hashes, which a plain verify cannot', async () => {
    await withApp(async (ds, t) => {
      await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD); // the chain grows past the checkpoint
      const events = await storedEvents(ds);
      await rewriteTail(ds, events.slice(1), (e) =>
        e.seq === '2' ? { ...e.details, scopes: ['orders:read'] } : e.details,
      );
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

  it('verify --checkpoint refuses a checkpoint whose signature does not hold', () => {
    const edited = file('edited.json', JSON.stringify({ ...checkpoint, hash: verify().report.lastHash }));
    const res = verify('--checkpoint', edited);
    expect(res.status).toBe(1);
    expect(res.report).toMatchObject({ valid: false, checkpoint: { signature: 'invalid' } });

    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const head = verify().report;
    const forged = signAuditCheckpoint(
      { seq: String(head.lastSeq), hash: head.lastHash, at: new Date().toISOString() },
      { kid: checkpoint.kid, privateKey: foreign },
    );
    const res2 = verify('--checkpoint', file('forged.json', JSON.stringify(forged)));
    expect(res2.status).toBe(1);
    expect(res2.report.checkpoint?.signature).toBe('invalid');

    const garbage = runCli(['audit', 'verify', '--checkpoint', file('garbage.json', '{"seq":1}')], env);
    expect(garbage.status).toBe(1);
    expect(garbage.stderr).toContain('not an OrderOps audit checkpoint');
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
  });
});
