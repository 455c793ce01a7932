import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

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

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * Rate-limit counters in Redis, so N replicas share one limit instead of each granting
 * the full allowance. The guard's keys are already hashes: no client address is stored.
 * If Redis cannot answer, the request is let through and a warning logged: the limit is
 * a load and abuse brake, while account lockout (in the database) guards credentials.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  /** While Redis is down every request fails over; one warning a minute is enough. */
  private lastWarningAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = `orderops:throttle:${throttlerName}:${key}`;
    try {
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
    } catch (error) {
      if (Date.now() - this.lastWarningAt > 60_000) {
        this.lastWarningAt = Date.now();
        this.logger.warn({ err: error }, 'Rate-limit storage unavailable; requests are not being counted');
      }
      return { totalHits: 0, timeToExpire: seconds(ttl), isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
