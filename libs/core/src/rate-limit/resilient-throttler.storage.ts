import type { Logger } from 'pino';
import {
  type MemoryThrottlerStorage,
  type RateLimitStorage,
  type ThrottlerStorageRecord,
} from './memory-throttler.storage.js';

/** After a Redis failure, this replica counts in memory for this long before trying Redis again. */
export const REDIS_RETRY_AFTER_MS = 5_000;
/** While Redis stays down one warning a minute is enough. */
const WARN_EVERY_MS = 60_000;

/**
 * Shared counters in Redis while it answers; per-replica counters in memory while it does
 * not. The limit keeps holding (each replica then grants the full allowance, so the
 * effective limit multiplies by the replica count for that time); it is never switched
 * off. Readiness does not depend on Redis: the database carries correctness, not Redis.
 */
export class ResilientThrottlerStorage implements RateLimitStorage {
  private retryRedisAt = 0;
  private lastWarningAt = -Infinity;

  constructor(
    private readonly redis: RateLimitStorage,
    private readonly fallback: MemoryThrottlerStorage,
    private readonly logger: Logger,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** True while counting in memory because Redis failed (for tests and logs). */
  get degraded(): boolean {
    return this.now() < this.retryRedisAt;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return this.either((storage) => storage.increment(key, ttl, limit, blockDuration, throttlerName));
  }

  waitFor(key: string, limit: number, throttlerName: string): Promise<number> {
    return this.either((storage) => storage.waitFor(key, limit, throttlerName));
  }

  private async either<T>(call: (storage: RateLimitStorage) => Promise<T>): Promise<T> {
    if (this.degraded) return call(this.fallback);
    try {
      return await call(this.redis);
    } catch (error) {
      const now = this.now();
      this.retryRedisAt = now + REDIS_RETRY_AFTER_MS;
      if (now - this.lastWarningAt >= WARN_EVERY_MS) {
        this.lastWarningAt = now;
        this.logger.warn(
          { err: error },
          "Rate-limit storage (Redis) unavailable; counting in this replica's memory until it answers",
        );
      }
      return call(this.fallback);
    }
  }
}
