import { applyDecorators } from '@nestjs/common';
import { AddRouteConfig } from '../http/route-config.js';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

/**
 * How a route is limited, carried in its Fastify route config: the limiter runs in an
 * `onRequest` hook, before any guard, so it must not depend on Nest metadata or guard order.
 */
export type RouteRateLimit = 'default' | 'strict' | 'off';

interface RateLimitRouteConfig {
  readonly orderopsRateLimit?: RouteRateLimit;
}

/**
 * Adds the strict per-address limit (STRICT_RATE_LIMIT_PER_MINUTE) to a route, on top of
 * the others: for endpoints that take credentials, where guessing must be slow.
 */
export const StrictRateLimit = (): MethodDecorator =>
  AddRouteConfig({ orderopsRateLimit: 'strict' } satisfies RateLimitRouteConfig);

/** The operation extension that marks a route without any rate limit in the OpenAPI document. */
export const UNLIMITED_EXTENSION = 'x-rate-limit-exempt';

/** No limit at all: for orchestrator probes, which arrive every few seconds from one address. */
export const SkipRateLimit = (): MethodDecorator =>
  applyDecorators(
    AddRouteConfig({ orderopsRateLimit: 'off' } satisfies RateLimitRouteConfig),
    // Read by documentProblems: an unlimited route never answers 429.
    ApiExtension(UNLIMITED_EXTENSION, true),
  );

export function routeRateLimit(request: FastifyRequest): RouteRateLimit {
  const config = request.routeOptions.config as RateLimitRouteConfig | undefined;
  return config?.orderopsRateLimit ?? 'default';
}
