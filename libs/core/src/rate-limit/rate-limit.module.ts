import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { MemoryThrottlerStorage } from './memory-throttler.storage.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';
import { isStrictlyLimited, STRICT_THROTTLER } from './strict-rate-limit.decorator.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;

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
 * A per-client-address request limit on every route that does not opt out, held in Redis
 * when REDIS_URL is set (shared by replicas), in memory otherwise.
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    const redis = config.redisUrl ? connectRedis(config.redisUrl.reveal()) : undefined;
    // ioredis reports connection trouble as events; the storage logs the failed calls.
    redis?.on('error', () => undefined);
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [
            { name: 'default', ttl: RATE_LIMIT_WINDOW_MS, limit: config.http.rateLimitPerMinute },
            {
              name: STRICT_THROTTLER,
              ttl: RATE_LIMIT_WINDOW_MS,
              limit: config.http.strictRateLimitPerMinute,
              skipIf: (context) => !isStrictlyLimited(context),
            },
          ],
          storage: redis
            ? new RedisThrottlerStorage(redis, logger.child({ context: 'RateLimit' }))
            : new MemoryThrottlerStorage(RATE_LIMIT_WINDOW_MS),
        }),
      ],
      providers: [
        { provide: APP_GUARD, useClass: RateLimitGuard },
        ...(redis ? [{ provide: RedisConnection, useValue: new RedisConnection(redis) }] : []),
      ],
    };
  }
}
