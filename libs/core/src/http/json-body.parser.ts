import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RawServerDefault } from 'fastify';
import type { HttpConfig } from '../config/app-config.js';
import { BodyTooDeepError } from '../errors/core.errors.js';
import { nestsDeeperThan } from './json-depth.js';

/**
 * The application/json parser: Fastify's own (secure-json-parse, so `__proto__` and
 * `constructor.prototype` keys stay refused), then a nesting bound on the parsed value,
 * before any pipe or interceptor walks it. Registered through Nest, so it replaces Nest's
 * default parser instead of racing it.
 */
export function registerJsonBodyParser(app: NestFastifyApplication, http: HttpConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  const maxDepth = http.jsonMaxDepth;
  app.useBodyParser<RawServerDefault>(
    'application/json',
    { bodyLimit: http.bodyLimitBytes },
    (request, body, done) => {
      // Fastify's default parser is callback style and synchronous; its type also admits a promise.
      void parse(request, body.toString('utf8'), (error, value) => {
        if (error) done(error, undefined);
        else if (nestsDeeperThan(value, maxDepth)) done(new BodyTooDeepError(maxDepth), undefined);
        else done(null, value);
      });
    },
  );
}
