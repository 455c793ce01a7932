import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Inbound ids are kept only if they are short and plain, so they are safe in logs and headers. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && VALID_REQUEST_ID.test(value);
}

/**
 * Fastify's `genReqId`: keeps a valid inbound X-Request-Id (so a trace spans services),
 * otherwise makes a new one.
 */
export function assignRequestId(raw: IncomingMessage): string {
  const inbound = raw.headers[REQUEST_ID_HEADER];
  return isValidRequestId(inbound) ? inbound : randomUUID();
}
