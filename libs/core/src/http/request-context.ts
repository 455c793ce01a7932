import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { orderOpsTracer } from '../tracing/tracer.js';
import { isTracedRoute } from '../tracing/untraced.decorator.js';

/** Where a request came from, for services that record it (the audit trail) without the request. */
export interface RequestContext {
  readonly requestId: string;
  /** The client address as Fastify resolved it (trusted proxy hops applied). */
  readonly clientIp: string;
  /** The request's server span, when tracing is on: the parent of every span inside it. */
  readonly span?: Span;
  /** The OpenTelemetry context holding that span, made once for all the spans inside it. */
  readonly traceContext?: Context;
  /** Its trace id (the caller's, when it sent a W3C traceparent), for log lines and 5xx bodies. */
  readonly traceId?: string;
  /** Tracing is on but this route is not traced (@Untraced): nothing inside it makes a span. */
  readonly untraced?: true;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Kept on the request itself (a decorated property), not in a side table per request. */
interface WithContext {
  requestContext: RequestContext | null;
}

/** The current request's context; undefined outside a request (CLI, bootstrap, timers). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The context of `request`, wherever its hooks run (onResponse runs outside the storage). */
export function requestContextOf(request: FastifyRequest): RequestContext | null {
  return (request as FastifyRequest & WithContext).requestContext;
}

/** The headers the configured propagator reads, once the SDK has set it up. */
let propagationHeaders: string[] | undefined;

/**
 * The server span of a request: named by method and route template, never by the concrete
 * path (paths carry ids) and without the query, the client address or any header but the
 * caller's `traceparent`, which makes it a child of the caller's span. With the context that
 * holds it, the parent of every span inside the request.
 */
function startRequestSpan(request: FastifyRequest): { span: Span; traceContext: Context } {
  const route = request.routeOptions.url;
  // Most requests carry no trace context: the propagator runs only when one of its headers
  // (traceparent, or whatever OTEL_PROPAGATORS chose) is there.
  propagationHeaders ??= propagation.fields().map((name) => name.toLowerCase());
  const parent = propagationHeaders.some((name) => request.headers[name] !== undefined)
    ? propagation.extract(ROOT_CONTEXT, request.headers)
    : ROOT_CONTEXT;
  // The attributes at start (not set one by one after), so the SDK sanitises them in one pass.
  const span = orderOpsTracer().startSpan(
    route === undefined ? request.method : `${request.method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes:
        route === undefined
          ? { 'http.request.method': request.method, 'url.scheme': request.protocol }
          : { 'http.request.method': request.method, 'http.route': route, 'url.scheme': request.protocol },
    },
    parent,
  );
  return { span, traceContext: trace.setSpan(parent, span) };
}

function endRequestSpan(request: FastifyRequest, statusCode: number | undefined): void {
  const span = requestContextOf(request)?.span;
  if (!span?.isRecording()) return;
  if (statusCode === undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
  } else {
    span.setAttribute('http.response.status_code', statusCode);
    // Per the HTTP semantic conventions a server span fails on 5xx only: a 4xx is the caller's.
    if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * Enters the context in `onRequest`, and again in `preValidation`: body parsing continues
 * from the socket's stream events, which do not carry the context over to the handler.
 * With `tracing`, each request to a traced route also gets its server span, ended when the
 * response is sent or the request is aborted; a request to an @Untraced route (the probes)
 * gets none, and nothing inside it does either.
 */
export function registerRequestContext(fastify: FastifyInstance, tracing = false): void {
  fastify.decorateRequest('requestContext', null);
  fastify.addHook('onRequest', (request, _reply, done) => {
    let context: RequestContext;
    if (!tracing) {
      context = { requestId: request.id, clientIp: request.ip };
    } else if (!isTracedRoute(request)) {
      context = { requestId: request.id, clientIp: request.ip, untraced: true };
    } else {
      const { span, traceContext } = startRequestSpan(request);
      const traceId = span.spanContext().traceId;
      context = { requestId: request.id, clientIp: request.ip, span, traceContext, traceId };
    }
    (request as FastifyRequest & WithContext).requestContext = context;
    storage.run(context, done);
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const context = requestContextOf(request);
    // Without a body the hooks run on from onRequest, still inside the context.
    if (context && storage.getStore() !== context) storage.run(context, done);
    else done();
  });
  if (!tracing) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    endRequestSpan(request, reply.statusCode);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    endRequestSpan(request, undefined);
    done();
  });
}
