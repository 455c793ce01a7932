import { AddRouteConfig } from './route-config.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BodyTimeoutError } from '../errors/core.errors.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../errors/problem.js';
import { REQUEST_ID_HEADER } from './request-id.js';

const OWN_BODY_TIMEOUT = 'orderopsOwnBodyTimeout';

/**
 * On a route that streams a large body and bounds its reads itself (the order import:
 * idle and minimum-rate limits over up to IMPORT_MAX_BYTES): the general body read
 * timeout (HTTP_BODY_TIMEOUT_MS) does not apply to it.
 */
export const OwnBodyTimeout = (): MethodDecorator => AddRouteConfig({ [OWN_BODY_TIMEOUT]: true });

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/** Answers 408 problem+json on the raw socket and closes it: the body will never be read. */
function answerTimeout(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.routeOptions.url ?? `urn:orderops:request:${request.id}`;
  const { body } = toProblem(new BodyTimeoutError(), { requestId: request.id, path });
  const raw = reply.raw;
  const socket = request.raw.socket;
  if (!raw.headersSent) {
    raw.writeHead(408, {
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      connection: 'close',
      [REQUEST_ID_HEADER]: request.id,
    });
    raw.end(JSON.stringify(body), () => closeSocket(socket));
  } else {
    closeSocket(socket);
  }
}

/**
 * An injected request (light-my-request, as tests and in-process callers use) has a socket
 * stand-in without `destroy`; there is no connection to drop, and a throw here would be an
 * uncaught error in a timer.
 */
function closeSocket(socket: { destroy?: () => void }): void {
  if (typeof socket.destroy === 'function') socket.destroy();
}

/**
 * Every request body must arrive within `timeoutMs` of the request's start, whoever
 * sends it (the hook runs before authentication): a body trickled a byte at a time
 * otherwise holds a connection and a parser for minutes. Node's own `requestTimeout`
 * cannot be used: it is server-wide and would cut legitimate large imports, which opt
 * out with @OwnBodyTimeout(). Requests without a body pay one header lookup.
 */
export function registerBodyTimeout(fastify: FastifyInstance, timeoutMs: number, log: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config as unknown as Record<string, unknown> | undefined;
    if (!hasBody(request) || config?.[OWN_BODY_TIMEOUT] === true) {
      done();
      return;
    }
    const timer = setTimeout(() => {
      log.warn(
        { requestId: request.id, route: request.routeOptions.url ?? '(no route)' },
        'request body timed out',
      );
      answerTimeout(request, reply);
    }, timeoutMs);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    // The body is read in full (or the request is gone): the bound has done its job.
    request.raw.once('end', clear);
    request.raw.once('close', clear);
    done();
  });
}
