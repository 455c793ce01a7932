import { createHash } from 'node:crypto';
import { clientAddressOf } from '../http/client-address.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toProblem, PROBLEM_CONTENT_TYPE } from '../errors/problem.js';
import type { RateLimitStorage } from './memory-throttler.storage.js';
import { RateLimitedError } from './rate-limit.errors.js';
import { routeRateLimit } from './strict-rate-limit.decorator.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;

export interface RateLimits {
  /** Requests per address and minute, across routes, that carry no valid bearer token. */
  readonly perAddress: number;
  /** Requests per authenticated principal and minute, across routes. */
  readonly perPrincipal: number;
  /** Requests per address and minute on each credential endpoint. */
  readonly strict: number;
}

const ADDRESS = 'address';
const PRINCIPAL = 'principal';
const STRICT = 'strict';
export const LIMITER_NAMES = [ADDRESS, PRINCIPAL, STRICT] as const;
export type LimiterName = (typeof LIMITER_NAMES)[number];

/** Counter keys are hashes: neither Redis nor memory ever holds an address or a principal id. */
const keyOf = (...parts: string[]): string => createHash('sha256').update(parts.join('|')).digest('hex');

function presentsBearer(request: FastifyRequest): boolean {
  const header = request.headers.authorization;
  return typeof header === 'string' && /^bearer\s/i.test(header);
}

/**
 * The request limits (DESIGN §1: in-memory limits multiply by replica count, so Redis holds
 * them when configured):
 * - per address, across every route, for requests that do not authenticate: no bearer token,
 *   or one that was refused (401). Counted before any guard runs, so neither a missing nor
 *   a bad token escapes the count, and spreading a burst over routes does not multiply it;
 * - per principal, across routes, once a token was accepted: partners behind one address
 *   (a NAT) each have their own allowance;
 * - per address on each credential endpoint (@StrictRateLimit), on top.
 */
export class RateLimiter {
  constructor(
    private readonly storage: RateLimitStorage,
    private readonly limits: RateLimits,
    /** Told of each refused request, by limiter (the metrics' rejection counter). */
    private readonly onRejected: (limiter: LimiterName) => void = () => undefined,
  ) {}

  private async hit(name: LimiterName, key: string, limit: number): Promise<number> {
    const record = await this.storage.increment(key, RATE_LIMIT_WINDOW_MS, limit, RATE_LIMIT_WINDOW_MS, name);
    if (!record.isBlocked) return 0;
    this.onRejected(name);
    return Math.max(1, record.timeToBlockExpire);
  }

  /** Seconds the request must wait under the address limits (0: it may proceed). */
  async beforeRequest(request: FastifyRequest): Promise<number> {
    const kind = routeRateLimit(request);
    if (kind === 'off') return 0;
    const client = clientAddressOf(request.ip);
    if (kind === 'strict') {
      const route = `${request.method} ${request.routeOptions.url ?? ''}`;
      const wait = await this.hit(STRICT, keyOf(STRICT, route, client), this.limits.strict);
      if (wait > 0) return wait;
    }
    const addressKey = keyOf(ADDRESS, client);
    // A bearer request counts only if it is refused (afterResponse); an address whose
    // allowance is used up may not try further tokens meanwhile.
    if (presentsBearer(request)) {
      const wait = await this.storage.waitFor(addressKey, this.limits.perAddress, ADDRESS);
      if (wait > 0) this.onRejected(ADDRESS);
      return wait;
    }
    return this.hit(ADDRESS, addressKey, this.limits.perAddress);
  }

  /** A bearer token refused with 401 counts against its address, like no token at all. */
  async afterResponse(request: FastifyRequest, status: number): Promise<void> {
    if (status !== 401 || !presentsBearer(request) || routeRateLimit(request) === 'off') return;
    await this.hit(ADDRESS, keyOf(ADDRESS, clientAddressOf(request.ip)), this.limits.perAddress);
  }

  /** Seconds an authenticated principal must wait (0: it may proceed). */
  async forPrincipal(principal: string): Promise<number> {
    return this.hit(PRINCIPAL, keyOf(PRINCIPAL, principal), this.limits.perPrincipal);
  }
}

/** The address limits as Fastify hooks: before routing to Nest, so before every guard. */
export function registerRateLimits(fastify: FastifyInstance, limiter: RateLimiter): void {
  // Callback hooks with the common cases answered synchronously: an unlimited route (the
  // health probes) and a response other than 401 cost no promise.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (routeRateLimit(request) === 'off') {
      done();
      return;
    }
    limiter.beforeRequest(request).then((wait) => {
      if (wait === 0) {
        done();
        return;
      }
      const problem = toProblem(new RateLimitedError(wait), {
        requestId: request.id,
        path: request.routeOptions.url ?? `urn:orderops:request:${request.id}`,
      });
      void reply
        .status(problem.status)
        .headers(problem.headers)
        .header('content-type', PROBLEM_CONTENT_TYPE)
        .send(JSON.stringify(problem.body));
    }, done);
  });
  // Before the response leaves (onSend, not onResponse): the client cannot send its next
  // attempt before this one is counted.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode !== 401) {
      done(null, payload);
      return;
    }
    limiter.afterResponse(request, reply.statusCode).then(
      () => done(null, payload),
      () => done(null, payload),
    );
  });
}
