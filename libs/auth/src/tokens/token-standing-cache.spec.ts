import { Database, type NotificationHandlers } from '@orderops/core';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { startAuthServices, type AuthServices } from '../../../../test/support/auth-services.js';
import { databaseKind } from '../../../../test/support/test-database.js';
import { ClientsService, WEB_CLIENT_ID } from '../clients/clients.service.js';
import { AccessTokensRepository } from './access-tokens.repository.js';
import { STANDING_TTL_MS, TokenStandingCache, type AccessTokenStanding } from './token-standing-cache.js';

const GOOD: AccessTokenStanding = { revoked: false, clientExists: true };

/** The cache's own rules, told of notifications and of the listener's state by hand. */
describe('TokenStandingCache', () => {
  let handlers: NotificationHandlers;
  let cache: TokenStandingCache;

  beforeEach(() => {
    const database = {
      listen: (_channel: string, h: NotificationHandlers) => {
        handlers = h;
        return true;
      },
    } as unknown as Database;
    cache = new TokenStandingCache(database);
    cache.onModuleInit();
  });

  it('keeps nothing until the listener reports that it is listening', () => {
    cache.remember('a', GOOD, cache.epoch);
    expect(cache.get('a')).toBeUndefined();
    handlers.onListening(true);
    cache.remember('a', GOOD, cache.epoch);
    expect(cache.get('a')).toBe(GOOD);
  });

  it('a notification empties it, and an answer read across one is not kept', () => {
    handlers.onListening(true);
    cache.remember('a', GOOD, cache.epoch);
    const readStartedUnder = cache.epoch;
    handlers.onNotification();
    expect(cache.get('a')).toBeUndefined();
    cache.remember('b', GOOD, readStartedUnder);
    expect(cache.get('b')).toBeUndefined();
  });

  it('losing the listener empties it and keeps it empty; listening again starts from nothing', () => {
    handlers.onListening(true);
    cache.remember('a', GOOD, cache.epoch);
    const before = cache.epoch;
    handlers.onListening(false);
    expect(cache.get('a')).toBeUndefined();
    cache.remember('a', GOOD, cache.epoch);
    expect(cache.get('a')).toBeUndefined();
    handlers.onListening(true);
    // A read started before the gap must not land after it.
    cache.remember('a', GOOD, before);
    expect(cache.get('a')).toBeUndefined();
  });

  it('a change made here empties it at once', () => {
    handlers.onListening(true);
    cache.remember('a', GOOD, cache.epoch);
    cache.forget();
    expect(cache.get('a')).toBeUndefined();
  });

  it(`keeps nothing past ${STANDING_TTL_MS} ms even without a notification`, () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      handlers.onListening(true);
      cache.remember('a', GOOD, cache.epoch);
      vi.setSystemTime(1_000_000 + STANDING_TTL_MS - 1);
      expect(cache.get('a')).toBe(GOOD);
      vi.setSystemTime(1_000_000 + STANDING_TTL_MS);
      expect(cache.get('a')).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

/**
 * AccessTokensRepository.getStanding on the suite's database. Changes are made with plain SQL
 * on the pool, past the repositories, as another replica or the CLI would make them.
 */
describe('AccessTokensRepository standing reads', () => {
  let s: AuthServices;
  let tokens: AccessTokensRepository;
  let reads: MockInstance;

  beforeAll(async () => {
    s = await startAuthServices();
    await s.module.get(ClientsService).ensureBuiltIns();
    tokens = s.module.get(AccessTokensRepository, { strict: false });
    reads = vi.spyOn(s.module.get(Database), 'read');
  });

  afterAll(async () => {
    reads?.mockRestore();
    await s?.close();
  });

  const standingOf = (jti: string) => tokens.getStanding({ jti, clientId: WEB_CLIENT_ID });
  const revokeElsewhere = (jti: string) =>
    s.dataSource.query(
      `INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, now() + interval '1 hour')`,
      [jti],
    );

  /** How many database reads two standing checks of a fresh token take. */
  const readsForTwoChecks = async (): Promise<number> => {
    const jti = randomUUID();
    const before = reads.mock.calls.length;
    await standingOf(jti);
    await standingOf(jti);
    return reads.mock.calls.length - before;
  };

  it('a revocation made through the repository is seen by the very next check', async () => {
    const jti = randomUUID();
    expect(await standingOf(jti)).toEqual(GOOD);
    await tokens.createRevocation(jti, new Date(Date.now() + 3_600_000));
    expect((await standingOf(jti)).revoked).toBe(true);
  });

  describe.runIf(databaseKind === 'embedded')('on the embedded database', () => {
    it('reads every time: there is no second session to hear changes on', async () => {
      expect(await readsForTwoChecks()).toBe(2);
      const jti = randomUUID();
      await standingOf(jti);
      await revokeElsewhere(jti);
      expect((await standingOf(jti)).revoked).toBe(true);
    });
  });

  describe.runIf(databaseKind === 'postgres')('on PostgreSQL', () => {
    const listening = () =>
      vi.waitFor(async () => expect(await readsForTwoChecks()).toBe(1), { timeout: 10_000 });

    it('answers a repeated check from the cache once listening', async () => {
      await listening();
    });

    it('a revocation committed elsewhere is seen well before the cache would expire it', async () => {
      await listening();
      const jti = randomUUID();
      await standingOf(jti);
      await revokeElsewhere(jti);
      // Well under STANDING_TTL_MS: only the notification can have emptied the cache.
      await vi.waitFor(async () => expect((await standingOf(jti)).revoked).toBe(true), {
        timeout: STANDING_TTL_MS / 4,
      });
    });

    it("any statement on the operators' standing columns or on the clients empties it too", async () => {
      await listening();
      const jti = randomUUID();
      await standingOf(jti);
      const before = reads.mock.calls.length;
      await s.dataSource.query(`UPDATE operators SET disabled_at = disabled_at WHERE false`);
      await vi.waitFor(
        async () => {
          await standingOf(jti);
          expect(reads.mock.calls.length).toBeGreaterThan(before);
        },
        { timeout: STANDING_TTL_MS / 4 },
      );
      const afterOperators = reads.mock.calls.length;
      await standingOf(jti);
      await s.dataSource.query(`DELETE FROM oauth_clients WHERE client_id = 'no-such-client'`);
      await vi.waitFor(
        async () => {
          await standingOf(jti);
          expect(reads.mock.calls.length).toBeGreaterThan(afterOperators);
        },
        { timeout: STANDING_TTL_MS / 4 },
      );
    });

    it('with its notification connection lost it keeps nothing, and nothing stale survives the gap', async () => {
      await listening();
      const jti = randomUUID();
      await standingOf(jti);
      await s.dataSource.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'orderops-notifications'`,
      );
      await vi.waitFor(async () => expect(await readsForTwoChecks()).toBe(2), { timeout: 5_000 });
      // Unannounced: no listener is connected to hear it.
      await revokeElsewhere(jti);
      await listening();
      expect((await standingOf(jti)).revoked).toBe(true);
    });
  });
});
