import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Where a request came from, for services that record it (the audit trail) without the request. */
export interface RequestContext {
  readonly requestId: string;
  /** The client address as Fastify resolved it (trusted proxy hops applied). */
  readonly clientIp: string;
}

const storage = new AsyncLocalStorage<RequestContext>();
const contexts = new WeakMap<FastifyRequest, RequestContext>();

/** The current request's context; undefined outside a request (CLI, bootstrap, timers). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` as the current request context (CLI commands, tests). */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * Enters the context in `onRequest`, and again in `preValidation`: body parsing continues
 * from the socket's stream events, which do not carry the context over to the handler.
 */
export function registerRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const context: RequestContext = { requestId: request.id, clientIp: request.ip };
    contexts.set(request, context);
    storage.run(context, done);
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const context = contexts.get(request);
    // Without a body the hooks run on from onRequest, still inside the context.
    if (context && storage.getStore() !== context) storage.run(context, done);
    else done();
  });
}
