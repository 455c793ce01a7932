import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Where a request came from, for services that record it (the audit trail) without the request. */
export interface RequestContext {
  readonly requestId: string;
  /** The client address as Fastify resolved it (trusted proxy hops applied). */
  readonly clientIp: string;
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

/**
 * Enters the context in `onRequest`, and again in `preValidation`: body parsing continues
 * from the socket's stream events, which do not carry the context over to the handler.
 */
export function registerRequestContext(fastify: FastifyInstance): void {
  fastify.decorateRequest('requestContext', null);
  fastify.addHook('onRequest', (request, _reply, done) => {
    const context: RequestContext = { requestId: request.id, clientIp: request.ip };
    (request as FastifyRequest & WithContext).requestContext = context;
    storage.run(context, done);
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const context = (request as FastifyRequest & WithContext).requestContext;
    // Without a body the hooks run on from onRequest, still inside the context.
    if (context && storage.getStore() !== context) storage.run(context, done);
    else done();
  });
}
