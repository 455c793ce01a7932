import type { Span } from '@opentelemetry/api';
import pg from 'pg';
import { endSpan, startSpan, tracingEnabled } from '../tracing/tracing.js';

const READ_TIMEOUT_MESSAGE = 'Query read timeout';

/** The pool passes its options to each client it creates; this one is ours. */
export interface BoundedClientConfig extends pg.ClientConfig {
  /** Told of every failed query (the metrics' error counter). */
  readonly onQueryError?: (error: unknown) => void;
  /** Told whenever the server answered a query, with rows or an error (the pool stall watch). */
  readonly onAnswer?: () => void;
}

/** Statement keywords a span may be named by; anything else is just a query. */
const OPERATIONS = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'WITH',
  'BEGIN',
  'START',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'SET',
  'SHOW',
  'LOCK',
  'COPY',
  'CREATE',
  'ALTER',
  'DROP',
  'TRUNCATE',
  'DO',
  'GRANT',
  'REVOKE',
  'COMMENT',
  'ANALYZE',
  'VACUUM',
  'DISCARD',
  'RESET',
  'DEALLOCATE',
]);

/** The SQL text of a query call: a string, or a config object's `text` (not a cursor or stream). */
function statementOf(args: readonly unknown[]): string | undefined {
  const first = args[0];
  if (typeof first === 'string') return first;
  if (typeof first !== 'object' || first === null) return undefined;
  const config = first as { text?: unknown; submit?: unknown };
  return typeof config.text === 'string' && typeof config.submit !== 'function' ? config.text : undefined;
}

function operationOf(statement: string): string {
  const keyword = /^\s*([A-Za-z]+)/.exec(statement)?.[1]?.toUpperCase();
  return keyword !== undefined && OPERATIONS.has(keyword) ? keyword : 'QUERY';
}

/**
 * A client span for a query call, or none (tracing off, or a cursor or stream). The statement
 * is recorded as sent, with its $n placeholders: values travel separately and are never read
 * here. Statements hold no literal values (the persistence check keeps SQL text in reviewed
 * repositories).
 */
function querySpan(args: readonly unknown[]): Span | undefined {
  const statement = statementOf(args);
  if (statement === undefined) return undefined;
  const operation = operationOf(statement);
  return startSpan(operation, {
    'db.system.name': 'postgresql',
    'db.operation.name': operation,
    'db.query.text': statement,
  });
}

type QueryCallback = (error: unknown, result?: unknown) => unknown;

/**
 * Wraps a `pg` method that takes an optional trailing callback or returns a promise: tells
 * `failed` and `answered` how each query ended and, with `traced`, times it in a span. One
 * wrapper and one closure per query for all of it.
 */
function observeQueries(
  method: (...args: unknown[]) => unknown,
  failed: (error: unknown) => void,
  answered: () => void,
  traced: boolean,
): (...args: unknown[]) => unknown {
  const settled = (error: unknown): void => {
    if (error) failed(error);
    // An error the server sent is an answer too; a timeout or a lost socket is not.
    if (!error || error instanceof pg.DatabaseError) answered();
  };
  return (...args: unknown[]): unknown => {
    const span = traced ? querySpan(args) : undefined;
    const last = args.at(-1);
    if (typeof last === 'function') {
      // pg calls back with (error) or (null, result).
      args[args.length - 1] = (error: unknown, result?: unknown): unknown => {
        settled(error);
        endSpan(span, Boolean(error), 'query failed');
        return (last as QueryCallback)(error, result);
      };
      return method(...args);
    }
    const result = method(...args);
    if (result instanceof Promise) {
      result.then(
        () => {
          settled(undefined);
          endSpan(span);
        },
        (error: unknown) => {
          settled(error);
          endSpan(span, true, 'query failed');
        },
      );
    } else {
      endSpan(span);
    }
    return result;
  };
}

/**
 * A `pg` client that gives its connection up when an answer does not arrive within
 * `query_timeout`. `pg` itself only rejects the late query and keeps the socket, so the
 * pool would hand the same connection to the next request, which then queues behind an
 * answer that never comes: one black-holed connection per pool slot wedges the pool for
 * good. Destroying the socket makes the client unusable, and the pool replaces it.
 */
export class BoundedClient extends pg.Client {
  constructor(config?: BoundedClientConfig) {
    super(config);
    const onError = config?.onQueryError;
    const onAnswer = config?.onAnswer ?? ((): void => undefined);
    const failed = (error: unknown): void => {
      if (error === null || error === undefined) return;
      onError?.(error);
      this.dropIfUnanswered(error);
    };
    // Tracing decided per connection: it starts before the pool opens its first one.
    this.query = observeQueries(
      this.query.bind(this),
      failed,
      onAnswer,
      tracingEnabled(),
    ) as pg.Client['query'];
  }

  private dropIfUnanswered(error: unknown): void {
    if (error instanceof Error && error.message === READ_TIMEOUT_MESSAGE) {
      (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }
  }
}
