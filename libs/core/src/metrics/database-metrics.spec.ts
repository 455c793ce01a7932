import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { queryErrorClassOf } from './database-metrics.js';

/** An error as the server reports it, with the SQLSTATE it carries. */
function serverError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError('server said no', 0, 'error');
  error.code = code;
  return error;
}

const errno = (code: string): Error =>
  Object.assign(new Error(`connect ${code}`), { code, syscall: 'connect' });

describe('queryErrorClassOf', () => {
  it.each([
    ['statement timeout', serverError('57014'), 'timeout'],
    ['lock timeout', serverError('55P03'), 'timeout'],
    ['idle-in-transaction timeout', serverError('25P03'), 'timeout'],
    ['pool acquire timeout', new Error('timeout exceeded when trying to connect'), 'timeout'],
    ['unanswered read', new Error('Query read timeout'), 'timeout'],
    ['refused connection', errno('ECONNREFUSED'), 'connection'],
    ['reset connection', errno('ECONNRESET'), 'connection'],
    ['connection lost', new Error('Connection terminated unexpectedly'), 'connection'],
    ['server shutting down', serverError('57P01'), 'connection'],
    ['connection exception', serverError('08006'), 'connection'],
    ['unique violation', serverError('23505'), 'constraint'],
    ['check violation', serverError('23514'), 'constraint'],
    ['serialization failure', serverError('40001'), 'other'],
    ['too many connections', serverError('53300'), 'other'],
    ['syntax error', serverError('42601'), 'other'],
    ['not an error object', 'boom', 'other'],
  ] as const)('%s is %s', (_case, error, expected) => {
    expect(queryErrorClassOf(error)).toBe(expected);
  });

  it('looks inside what TypeORM wraps', () => {
    expect(queryErrorClassOf(new QueryFailedError('INSERT ...', [], serverError('23505')))).toBe(
      'constraint',
    );
    expect(queryErrorClassOf(new QueryFailedError('SELECT ...', [], serverError('57014')))).toBe('timeout');
  });
});
