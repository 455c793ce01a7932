import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { MemoryThrottlerStorage, type RateLimitStorage } from './memory-throttler.storage.js';
import type { Metrics } from '../metrics/metrics.js';
import { LIMITER_NAMES, RATE_LIMIT_WINDOW_MS, RateLimiter } from './rate-limiter.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import { ResilientThrottlerStorage } from './resilient-throttler.storage.js';

/** Closes the Redis connection with the app. */
class RedisConnection implements OnApplicationShutdown {
  constructor(readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function connectRedis(url: string): Redis {
  return new Redis(url, {
    // Never queue commands while disconnected: a request must not wait on a dead cache.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    lazyConnect: false,
  });
}

/**
 * Request limits (see RateLimiter), held in Redis when REDIS_URL is set (shared by
 * replicas, with a per-replica memory fallback while Redis is unreachable), in memory
 * otherwise. The address limits are Fastify hooks (registerRateLimits, from configureHttp);
 * the per-principal limit is a global interceptor.
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig, logger: Logger, metrics: Metrics): DynamicModule {
    const redis = config.redisUrl ? connectRedis(config.redisUrl.reveal()) : undefined;
    // ioredis reports connection trouble as events; the storage logs the failed calls.
    redis?.on('error', () => undefined);
    const memory = new MemoryThrottlerStorage(RATE_LIMIT_WINDOW_MS);
    const storage: RateLimitStorage = redis
      ? new ResilientThrottlerStorage(
          new RedisThrottlerStorage(redis, config.redisKeyPrefix),
          memory,
          logger.child({ context: 'RateLimit' }),
        )
      : memory;
    const rejected = metrics.closedCounter(
      'orderops_rate_limit_rejections_total',
      'Requests refused with 429, by the limiter that refused them.',
      'limiter',
      LIMITER_NAMES,
    );
    const limiter = new RateLimiter(
      storage,
      {
        perAddress: config.http.rateLimitPerMinute,
        perPrincipal: config.http.rateLimitPerPrincipalPerMinute,
        strict: config.http.strictRateLimitPerMinute,
      },
      rejected,
    );
    return {
      module: RateLimitModule,
      providers: [
        { provide: RateLimiter, useValue: limiter },
        ...(redis ? [{ provide: RedisConnection, useValue: new RedisConnection(redis) }] : []),
      ],
      exports: [RateLimiter],
    };
  }
}
