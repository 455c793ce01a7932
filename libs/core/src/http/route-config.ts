import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';

/**
 * Adds keys to a route's Fastify route config (what hooks read as `request.routeOptions.config`).
 * Nest's `@RouteConfig` sets the whole object, so of two on one route (a probe is both
 * unlimited and untraced) only the last would count; these merge.
 */
export function AddRouteConfig(config: Readonly<Record<string, unknown>>): MethodDecorator {
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const existing = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as object;
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...existing, ...config }, handler);
    return descriptor;
  };
}
