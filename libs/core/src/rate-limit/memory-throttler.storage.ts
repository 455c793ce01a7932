import type { ThrottlerStorage } from '@nestjs/throttler';

/** The throttler's storage contract, plus a look at a limit without counting a hit. */
export interface RateLimitStorage extends ThrottlerStorage {
  waitFor(key: string, limit: number, throttlerName: string): Promise<number>;
}

export interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/** One client's hits under one throttler: expiry times in arrival order, from `head` on. */
interface HitLog {
  expiries: number[];
  head: number;
  blockedUntil: number;
}

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * Counters in this process (no REDIS_URL): each hit counts for `ttl`, a client over the
 * limit is refused for `blockDuration`, then starts afresh. The same sliding log as the
 * throttler's own in-memory storage, which rebuilds every hit array on every request
 * (O(limit) per request: a tenth of a request's time under load at bench limits); here
 * expired hits leave from the front, so a request costs O(1) amortised.
 */
export class MemoryThrottlerStorage implements RateLimitStorage {
  private readonly logs = new Map<string, HitLog>();
  private nextSweepAt = 0;

  /** `sweepEveryMs`: how often logs with nothing live in them are dropped. */
  constructor(
    private readonly sweepEveryMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = this.now();
    this.sweep(now);
    const logKey = `${throttlerName}:${key}`;
    let log = this.logs.get(logKey);
    if (log === undefined) {
      log = { expiries: [], head: 0, blockedUntil: 0 };
      this.logs.set(logKey, log);
    }
    if (log.blockedUntil > now) return Promise.resolve(this.record(log, now, true));
    if (log.blockedUntil !== 0) Object.assign(log, { expiries: [], head: 0, blockedUntil: 0 });
    this.dropExpired(log, now);
    log.expiries.push(now + ttl);
    const blocked = this.liveHits(log) > limit;
    if (blocked) log.blockedUntil = now + (blockDuration > 0 ? blockDuration : ttl);
    return Promise.resolve(this.record(log, now, blocked));
  }

  /**
   * Seconds before `key` may make another hit under `limit` without counting one: while it
   * is blocked, or while its window already holds `limit` hits (0: it may proceed).
   */
  waitFor(key: string, limit: number, throttlerName: string): Promise<number> {
    const log = this.logs.get(`${throttlerName}:${key}`);
    if (log === undefined) return Promise.resolve(0);
    const now = this.now();
    if (log.blockedUntil > now) return Promise.resolve(seconds(log.blockedUntil - now));
    this.dropExpired(log, now);
    if (this.liveHits(log) < limit) return Promise.resolve(0);
    return Promise.resolve(Math.max(1, seconds(log.expiries[log.head] - now)));
  }

  /** Number of logs held (for tests: idle clients must not accumulate). */
  get size(): number {
    return this.logs.size;
  }

  private record(log: HitLog, now: number, blocked: boolean): ThrottlerStorageRecord {
    const oldest = log.expiries[log.head];
    return {
      totalHits: this.liveHits(log),
      timeToExpire: oldest === undefined ? 0 : seconds(oldest - now),
      isBlocked: blocked,
      timeToBlockExpire: blocked ? seconds(log.blockedUntil - now) : 0,
    };
  }

  private liveHits(log: HitLog): number {
    return log.expiries.length - log.head;
  }

  private dropExpired(log: HitLog, now: number): void {
    while (log.head < log.expiries.length && log.expiries[log.head] <= now) log.head++;
    // Compact once the dead prefix is half the array, so memory stays within 2x the live hits.
    if (log.head > 0 && log.head * 2 >= log.expiries.length) {
      log.expiries = log.expiries.slice(log.head);
      log.head = 0;
    }
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.sweepEveryMs;
    for (const [logKey, log] of this.logs) {
      this.dropExpired(log, now);
      if (log.blockedUntil <= now && this.liveHits(log) === 0) this.logs.delete(logKey);
    }
  }
}
