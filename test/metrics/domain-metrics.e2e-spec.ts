import { Metrics } from '@orderops/core';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import {
  asOwnerWithoutTriggers,
  latestTreeHead,
  sequenceNow,
  storedEvents,
  verifyViaApi,
} from '../support/audit.js';
import { basic, form, passwordGrant, TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import { postImport, sampleCsv, uniqueCsv } from '../support/imports.js';
import { useTestApp } from '../support/use-test-app.js';
import { samples } from './support.js';

/** Sign-in attempts from this address only, so the lockout case owns its counters. */
const ATTACKER = '203.0.113.7';
/** ...and this one for the limiter case. */
const BURSTER = '203.0.113.8';
const STRICT_LIMIT = 8;

describe('auth, audit and import metrics', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: String(STRICT_LIMIT) },
    operators: { loader: ['orders:import'], victim: ['orders:read'], auditor: ['audit:read'] },
    clients: { Partner: ['orders:read'] },
    signIn: ['loader', 'auditor'],
  });
  const values = async (): Promise<Map<string, number>> => samples(await t.app.get(Metrics).scrape());
  /** How much each named series moved while `act` ran. */
  async function deltas(keys: string[], act: () => Promise<void>): Promise<number[]> {
    const before = await values();
    await act();
    const after = await values();
    return keys.map((key) => (after.get(key) ?? Number.NaN) - (before.get(key) ?? Number.NaN));
  }
  const tokenFrom = (address: string, params: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: address,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form(params),
    });

  it('counts tokens issued by grant type', async () => {
    const partner = t.client('Partner');
    const moved = await deltas(
      [
        'orderops_auth_tokens_issued_total{grant="password"}',
        'orderops_auth_tokens_issued_total{grant="client_credentials"}',
        'orderops_auth_tokens_issued_total{grant="refresh_token"}',
      ],
      async () => {
        expect((await passwordGrant(t.app, 'victim', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
        const res = await t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: {
            ...basic(partner.clientId, partner.clientSecret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: form({ grant_type: 'client_credentials' }),
        });
        expect(res.statusCode, res.body).toBe(200);
      },
    );
    expect(moved).toEqual([1, 1, 0]);
  });

  it('counts refusals by OAuth code and sign-in failures by reason, never by username', async () => {
    const username = `nobody-${Date.now()}`;
    const moved = await deltas(
      [
        'orderops_auth_token_failures_total{reason="invalid_grant"}',
        'orderops_auth_token_failures_total{reason="unsupported_grant_type"}',
        'orderops_auth_login_failures_total{reason="unknown_user"}',
        'orderops_audit_appends_total',
      ],
      async () => {
        expect((await passwordGrant(t.app, username, 'wrong-password-123')).statusCode).toBe(400);
        expect((await tokenFrom('198.51.100.1', { grant_type: 'magic' })).statusCode).toBe(400);
      },
    );
    // The refused sign-in is audited (auth.login.failed): one append.
    expect(moved).toEqual([1, 1, 1, 1]);
    expect(await t.app.get(Metrics).scrape()).not.toContain(username);
  });

  it('counts wrong passwords and the lockout they cause', async () => {
    const moved = await deltas(
      ['orderops_auth_login_failures_total{reason="bad_password"}', 'orderops_auth_lockouts_total'],
      async () => {
        for (let i = 0; i < 5; i++) {
          const res = await tokenFrom(ATTACKER, {
            grant_type: 'password',
            client_id: 'orderops-web',
            username: 'victim',
            password: `guess-${i}-not-it`,
          });
          expect(res.statusCode).toBe(400);
        }
      },
    );
    expect(moved).toEqual([5, 1]);
  });

  it('counts rate-limit rejections by limiter', async () => {
    const moved = await deltas(
      [
        'orderops_rate_limit_rejections_total{limiter="strict"}',
        'orderops_rate_limit_rejections_total{limiter="address"}',
      ],
      async () => {
        const statuses: number[] = [];
        for (let i = 0; i <= STRICT_LIMIT; i++) {
          statuses.push((await tokenFrom(BURSTER, { grant_type: 'magic' })).statusCode);
        }
        expect(statuses.at(-1)).toBe(429);
      },
    );
    expect(moved).toEqual([1, 0]);
  });

  it('counts imported rows accepted and rejected, and the import itself', async () => {
    const moved = await deltas(
      [
        'orderops_import_rows_total{outcome="accepted"}',
        'orderops_import_rows_total{outcome="rejected"}',
        'orderops_imports_total{status="completed"}',
        'orderops_imports_total{status="failed"}',
      ],
      async () => {
        const res = await postImport(t.app, t.token('loader'), sampleCsv());
        expect(res.statusCode, res.body).toBe(201);
      },
    );
    expect(moved).toEqual([4, 2, 1, 0]);
  });

  it('times imports by status: a completed one and a strict one that failed', async () => {
    const moved = await deltas(
      [
        'orderops_import_duration_seconds_count{status="completed"}',
        'orderops_import_duration_seconds_count{status="failed"}',
      ],
      async () => {
        expect((await postImport(t.app, t.token('loader'), uniqueCsv(['Good,1.00,1']))).statusCode).toBe(201);
        const strict = await postImport(
          t.app,
          t.token('loader'),
          uniqueCsv(['Good,1.00,1', 'Bad,abc,1']),
          '?strict=true',
        );
        expect(strict.statusCode).toBe(422);
      },
    );
    expect(moved).toEqual([1, 1]);
    const after = await values();
    expect(after.get('orderops_import_duration_seconds_sum{status="completed"}')).toBeGreaterThan(0);
    // Buckets are cumulative: the slowest one holds every import.
    expect(after.get('orderops_import_duration_seconds_bucket{le="+Inf",status="failed"}')).toBe(
      after.get('orderops_import_duration_seconds_count{status="failed"}'),
    );
  });

  it('times the wait for a hashing slot, and shows the queue while sign-ins pile up', async () => {
    const one = await deltas(['orderops_auth_password_hash_wait_seconds_count'], async () => {
      expect((await passwordGrant(t.app, 'victim', TEST_OPERATOR_PASSWORD)).statusCode).toBe(200);
    });
    // One sign-in checks one password: one wait observed (0 s when a slot is free).
    expect(one).toEqual([1]);
    expect((await values()).get('orderops_auth_password_hash_queue_depth')).toBe(0);

    // Twelve sign-ins at once for two slots: ten of them queue for ~10 ms of argon2id each.
    const before = await values();
    let deepest = 0;
    let settled = false;
    const storm = Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        tokenFrom(`198.51.100.${20 + i}`, {
          grant_type: 'password',
          client_id: 'orderops-web',
          username: 'victim',
          password: TEST_OPERATOR_PASSWORD,
        }),
      ),
    ).finally(() => (settled = true));
    while (!settled) {
      deepest = Math.max(deepest, (await values()).get('orderops_auth_password_hash_queue_depth') ?? 0);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await storm).map((res) => res.statusCode)).toEqual(Array(12).fill(200));
    const after = await values();
    expect(deepest).toBeGreaterThan(0);
    expect(after.get('orderops_auth_password_hash_queue_depth')).toBe(0);
    const waited =
      (after.get('orderops_auth_password_hash_wait_seconds_sum') ?? 0) -
      (before.get('orderops_auth_password_hash_wait_seconds_sum') ?? 0);
    expect(waited).toBeGreaterThan(0);
  });

  it('reports the size of the log (its highest seq) and how long events waited to be sequenced', async () => {
    const ds = t.app.get(DataSource);
    const lagBefore = (await values()).get('orderops_audit_sequencing_lag_seconds_count') ?? 0;
    expect((await passwordGrant(t.app, 'victim', 'wrong-password-123')).statusCode).toBe(400);
    await sequenceNow(t.app);
    const head = await latestTreeHead(ds);
    const after = await values();
    expect(after.get('orderops_audit_chain_head_seq')).toBe(Number(head.tree_size));
    expect(after.get('orderops_audit_sequencing_lag_seconds_count')).toBeGreaterThan(lagBefore);
  });

  it('counts verify failures by kind, and a clean verify counts none', async () => {
    const ds = t.app.get(DataSource);
    const keys = [
      'orderops_audit_verify_failures_total{reason="hash_mismatch"}',
      'orderops_audit_verify_failures_total{reason="gap"}',
      'orderops_audit_verify_failures_total{reason="checkpoint_mismatch"}',
    ];
    const clean = await deltas(keys, async () => {
      expect((await verifyViaApi(t.app, t.token('auditor'))).valid).toBe(true);
    });
    expect(clean).toEqual([0, 0, 0]);

    await sequenceNow(t.app);
    const [target] = await storedEvents(ds, 'auth.login.failed');
    const broken = await deltas(keys, async () => {
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(`UPDATE audit_events SET outcome = 'success' WHERE seq = $1`, [target.seq]),
      );
      try {
        expect((await verifyViaApi(t.app, t.token('auditor'))).brokenAt?.reason).toBe('hash_mismatch');
      } finally {
        await asOwnerWithoutTriggers(ds, (m) =>
          m.query(`UPDATE audit_events SET outcome = $2 WHERE seq = $1`, [target.seq, target.outcome]),
        );
      }
    });
    expect(broken).toEqual([1, 0, 0]);
    expect((await verifyViaApi(t.app, t.token('auditor'))).valid).toBe(true);
  });
});
