import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/app-config.js';
import { REQUEST_ID_HEADER, assignRequestId } from './request-id.js';
import { registerRequestContext } from './request-context.js';
import { requestPrincipalOf } from './request-principal.js';
import { registerJsonBodyParser } from './json-body.parser.js';
import { registerBodyTimeout } from './body-timeout.js';
import { ROOT_LOGGER } from '../logging/root-logger.js';
import { RateLimiter, registerRateLimits } from '../rate-limit/rate-limiter.js';
import type { Logger } from 'pino';
import { SECURITY_HEADERS } from './security-headers.js';
import { Metrics } from '../metrics/metrics.js';
import { registerHttpMetrics } from '../metrics/http-metrics.js';

export const DOCS_PATH = '/docs';

/** The API serves JSON only: nothing may be loaded, framed or submitted from its responses. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Swagger UI's page loads its bundle, styles and init script from this origin and carries
 * one inline <style> block; nothing else is allowed, and no third-party origin at all.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function isDocsPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0];
  return path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`) || path.startsWith(`${DOCS_PATH}-`);
}

export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    // A hop count, never "trust everything": only the nearest N proxies are believed.
    trustProxy: (_address: string, hop: number) => hop < config.http.trustProxyHops,
    genReqId: assignRequestId,
    requestIdHeader: false,
    return503OnClosing: true,
    logger: false,
  });
}

/**
 * Security headers, CORS, request ids and the request log line, on the Fastify instance.
 * Runs before `app.init()` so every route, including the docs, gets the same treatment.
 */
export function configureHttp(app: NestFastifyApplication, config: AppConfig): void {
  // First, so a request answered by any later hook (a rate-limit 429) is still counted.
  if (config.metrics.enabled)
    registerHttpMetrics(app.getHttpAdapter().getInstance(), app.get(Metrics).registry);
  // Helmet's headers are the same for every response: computed once (security-headers.ts),
  // set before the handler runs so a route may still override one.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_request, reply, done) => {
      reply.headers(SECURITY_HEADERS);
      done();
    });

  const allowedOrigins = new Set(config.http.corsOrigins);
  app.enableCors({
    // Exact allowlist; an unknown origin (or "null") gets no CORS headers at all.
    origin: (origin, callback) => callback(null, origin !== undefined && allowedOrigins.has(origin)),
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // What a browser frontend sends: a bearer token, JSON bodies, idempotent creates and
    // conditional updates (PATCH /orders/:id requires If-Match), and its own request id.
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
    // What it must read beyond the CORS-safelisted headers: the order's version (ETag, for
    // the next If-Match), where a created resource lives, how long to back off (429 and 503
    // carry Retry-After; the service sends no RateLimit-* headers), why a token was refused,
    // and the id to quote in a support request.
    exposedHeaders: ['ETag', 'Location', 'Retry-After', 'WWW-Authenticate', 'X-Request-Id'],
    maxAge: 600,
  });

  registerJsonBodyParser(app, config.http);

  const fastify = app.getHttpAdapter().getInstance();
  registerRequestContext(fastify, config.tracing.enabled);
  registerRateLimits(fastify, app.get(RateLimiter));
  // Once shutdown starts, responses to in-flight requests close their connection: a
  // keep-alive socket that turns idle after close() began would otherwise hold the server
  // open for the whole keep-alive timeout.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // Callback-style hooks: an async hook costs a promise per request on every response.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    // The route template: cheaper than the URL, and the same answer (the docs are their own routes).
    const docs = isDocsPath(request.routeOptions.url);
    reply.header(REQUEST_ID_HEADER, request.id);
    if (closing) reply.header('connection', 'close');
    // A route that renders HTML (the sign-in page) sets its own, stricter-per-page policy.
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', docs ? DOCS_CSP : API_CSP);
    }
    if (!docs && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  const requestLog = app.get<Logger>(ROOT_LOGGER).child({ context: 'HTTP' });
  registerBodyTimeout(fastify, config.http.bodyTimeoutMs, requestLog);
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route template, never the concrete URL: paths and queries may carry ids or data.
    requestLog.info(
      {
        requestId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        principal: requestPrincipalOf(request),
      },
      'request completed',
    );
    done();
  });
}
