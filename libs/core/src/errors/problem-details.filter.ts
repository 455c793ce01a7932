import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MethodNotAllowedError } from './core.errors.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';
import { requestContextOf } from '../http/request-context.js';

// OPTIONS is left out: the CORS preflight route matches every path.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export function pathOf(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** For a request that matched no route: the methods the path does support, if any. */
function allowedMethods(fastify: FastifyInstance, request: FastifyRequest): string[] {
  if (request.routeOptions.url !== undefined) return [];
  const path = pathOf(request);
  const allowed = METHODS.filter((method) => fastify.findRoute({ method, url: path }) !== null);
  // A route for this very method exists (a wildcard that then found nothing): that is a 404.
  return allowed.includes(request.method as (typeof METHODS)[number]) ? [] : allowed;
}

/**
 * The one place errors become responses: RFC 9457 problem+json with the request id.
 * Unexpected errors are logged in full here and answered with nothing but the request id.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();

    const allowed = allowedMethods(fastify, request);
    const effective = allowed.length > 0 ? new MethodNotAllowedError(allowed) : error;
    // The route template, never the concrete path: a path may carry ids or personal data.
    const instance = request.routeOptions.url ?? `urn:orderops:request:${request.id}`;
    const problem = toProblem(effective, {
      requestId: request.id,
      traceId: requestContextOf(request)?.traceId,
      path: instance,
    });

    if (problem.failure) {
      // Codes only: a driver message may quote SQL, and parameters may hold personal data.
      this.logger.warn(
        { requestId: request.id, status: problem.status, failure: problem.failure },
        'Dependency unavailable',
      );
    } else if (problem.unexpected) {
      this.logger.error({ err: error, requestId: request.id }, 'Unhandled error');
    }
    if (reply.sent) return;
    const { contentType, body } = problem.representation ?? {
      contentType: PROBLEM_CONTENT_TYPE,
      body: problem.body,
    };
    void reply
      .status(problem.status)
      .headers(problem.headers)
      .header('content-type', contentType)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(body));
  }
}
