import type { Redis } from 'ioredis';
import type { RateLimitStorage, ThrottlerStorageRecord } from './memory-throttler.storage.js';

/**
 * One round trip, atomic on the server: count the hit in a fixed window, and once the
 * limit is passed set a block key for the block duration. Returns
 * {hits, windowTtlMs, blocked(0|1), blockTtlMs}.
 */
const INCREMENT_SCRIPT = `
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), 1, blockTtl}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, 1, tonumber(ARGV[3])}
end
return {hits, ttl, 0, 0}
`;

/** The wait before another hit, without counting one: {blockTtlMs, hits, windowTtlMs}. */
const PEEK_SCRIPT = `
return {redis.call('PTTL', KEYS[2]), tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}
`;

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * Rate-limit counters in Redis, so N replicas share one limit instead of each granting
 * the full allowance. Keys start with REDIS_KEY_PREFIX, so deployments can share a Redis;
 * the limiter's keys are already hashes, so no client address is stored. Failures are
 * thrown: the caller (ResilientThrottlerStorage) decides what counts instead.
 */
export class RedisThrottlerStorage implements RateLimitStorage {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  private base(key: string, throttlerName: string): string {
    return `${this.keyPrefix}throttle:${throttlerName}:${key}`;
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = this.base(key, throttlerName);
    const [hits, windowMs, blocked, blockMs] = (await this.redis.eval(
      INCREMENT_SCRIPT,
      2,
      `${base}:hits`,
      `${base}:block`,
      String(ttl),
      String(limit),
      String(blockDuration > 0 ? blockDuration : ttl),
    )) as [number, number, number, number];
    return {
      totalHits: hits,
      timeToExpire: seconds(windowMs),
      isBlocked: blocked === 1,
      timeToBlockExpire: seconds(blockMs),
    };
  }

  async waitFor(key: string, limit: number, throttlerName: string): Promise<number> {
    const base = this.base(key, throttlerName);
    const [blockMs, hits, windowMs] = (await this.redis.eval(
      PEEK_SCRIPT,
      2,
      `${base}:hits`,
      `${base}:block`,
    )) as [number, number, number];
    if (blockMs > 0) return seconds(blockMs);
    return hits >= limit ? Math.max(1, seconds(windowMs)) : 0;
  }
}
