import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { infrastructureFailureOf, isInfrastructureFailure } from './infrastructure-failure.js';
import { toProblem } from './problem.js';

/** A server error as `pg` raises it, wrapped the way TypeORM hands it on. */
function serverError(code: string, message = 'server said no'): QueryFailedError {
  const driverError = Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code });
  return new QueryFailedError('SELECT $1', ['jane@example.com'], driverError);
}

describe('infrastructureFailureOf', () => {
  it.each([
    ['08006', 'connection_failure'],
    ['57P01', 'admin_shutdown'],
    ['57P03', 'cannot_connect_now'],
    ['53300', 'too_many_connections'],
    ['57014', 'statement_timeout'],
    ['55P03', 'lock_timeout'],
    ['25P03', 'idle_in_transaction_session_timeout'],
    ['40P01', 'deadlock_detected'],
  ])('takes SQLSTATE %s (%s) for an outage', (code) => {
    expect(infrastructureFailureOf(serverError(code))).toEqual({ code, name: 'QueryFailedError' });
  });

  it.each([
    ['23505', 'unique_violation'],
    ['23503', 'foreign_key_violation'],
    ['42P01', 'undefined_table'],
    ['22P02', 'invalid_text_representation'],
  ])('leaves SQLSTATE %s (%s) a bug, even when its message reads like an outage', (code) => {
    expect(isInfrastructureFailure(serverError(code, 'Connection terminated unexpectedly'))).toBe(false);
  });

  it('recognises socket errors, also inside an AggregateError and a cause chain', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    const aggregate = new AggregateError([refused], 'all addresses failed');
    expect(infrastructureFailureOf(aggregate)?.code).toBe('ECONNREFUSED');
    expect(infrastructureFailureOf(new Error('outer', { cause: aggregate }))?.code).toBe('ECONNREFUSED');
    expect(infrastructureFailureOf(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))?.code).toBe(
      'EPIPE',
    );
    const gone = Object.assign(new Error('no socket'), { code: 'ENOENT', syscall: 'connect' });
    expect(infrastructureFailureOf(gone)?.code).toBe('ENOENT');
    expect(
      isInfrastructureFailure(Object.assign(new Error('no file'), { code: 'ENOENT', syscall: 'open' })),
    ).toBe(false);
  });

  it.each([
    ['timeout exceeded when trying to connect', 'pool-acquire-timeout'],
    ['Connection terminated unexpectedly', 'connection-terminated'],
    ['Query read timeout', 'query-read-timeout'],
    ['Client has encountered a connection error and is not queryable', 'connection-error'],
  ])('labels the driver error "%s"', (message, label) => {
    expect(infrastructureFailureOf(new Error(message))?.code).toBe(label);
  });

  it('does not take programming errors for outages', () => {
    expect(isInfrastructureFailure(new TypeError('x is undefined'))).toBe(false);
    expect(isInfrastructureFailure('Connection terminated')).toBe(false);
    expect(isInfrastructureFailure(null)).toBe(false);
  });
});

describe('toProblem for an outage', () => {
  const ctx = { requestId: 'req-1', path: '/orders' };

  it('is a 503 with Retry-After that shows neither SQL nor parameters', () => {
    const problem = toProblem(
      serverError('57P01', 'terminating connection due to administrator command'),
      ctx,
    );
    expect(problem.status).toBe(503);
    expect(problem.unexpected).toBe(false);
    expect(Number(problem.headers['Retry-After'])).toBeGreaterThan(0);
    expect(problem.failure).toEqual({ code: '57P01', name: 'QueryFailedError' });
    expect(problem.body.type).toBe('urn:orderops:problem:service-unavailable');
    expect(JSON.stringify(problem.body)).not.toMatch(/SELECT|jane|administrator/);
  });

  it('keeps a constraint violation a 500', () => {
    const problem = toProblem(serverError('23505', 'duplicate key'), ctx);
    expect(problem.status).toBe(500);
    expect(problem.failure).toBeUndefined();
  });
});
