import { AddRouteConfig } from '../http/route-config.js';
import type { FastifyRequest } from 'fastify';

const UNTRACED = 'orderopsUntraced';

interface TracingRouteConfig {
  readonly [UNTRACED]?: true;
}

/**
 * No span for this route, even with tracing on: for the Kubernetes probes, which arrive every
 * few seconds from the kubelet, answer from memory and would fill every trace store with
 * spans no one reads (the usual practice; the collector need not filter them). Carried in the
 * Fastify route config, read in the `onRequest` hook that would start the span.
 */
export const Untraced = (): MethodDecorator =>
  AddRouteConfig({ [UNTRACED]: true } satisfies TracingRouteConfig);

/** Whether a request to this route gets a span when tracing is on. */
export function isTracedRoute(request: FastifyRequest): boolean {
  return (request.routeOptions.config as TracingRouteConfig | undefined)?.[UNTRACED] !== true;
}
