import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTracing, stopTracing } from '@orderops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_OPERATOR_PASSWORD } from '../support/auth.js';
import { CANARY_PIECES, sendCanaryTraffic } from '../support/canary-traffic.js';
import { postImport, uniqueCsv } from '../support/imports.js';
import { CANARY } from '../support/orders.js';
import { useTestApp } from '../support/use-test-app.js';

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
// Before the app and its pool exist: a connection decides when it opens whether it traces.
startTracing({ spanProcessors: [processor] });
afterAll(stopTracing);

/** The spans ended so far (the processor hands each to the exporter asynchronously). */
async function finishedSpans(): Promise<ReadableSpan[]> {
  await processor.forceFlush();
  return exporter.getFinishedSpans();
}

/** Everything a span carries that an exporter would send on, as text. */
const exported = (spans: readonly ReadableSpan[]): string =>
  JSON.stringify(
    spans.map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
      links: s.links,
    })),
  );

describe('trace canary', () => {
  const t = useTestApp({
    env: {
      STRICT_RATE_LIMIT_PER_MINUTE: '10000',
      // Names an endpoint so the app traces; the in-memory processor above replaces the exporter.
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    },
    probes: true,
    operators: {
      allscopes: ['orders:read', 'orders:write', 'orders:import', 'pii:reveal', 'pii:export', 'pii:erase'],
    },
  });
  let token: string;
  beforeAll(() => {
    token = t.token('allscopes');
  });

  it('personal data sent through every endpoint, and through an import, never reaches a span', async () => {
    const responses = await sendCanaryTraffic(t.app, token);
    expect(responses.map((r) => r.statusCode)).toContain(400);
    const file = uniqueCsv(
      [`Canary lamp,12.50,1,EUR,${CANARY.name},${CANARY.email},${CANARY.phone}`],
      'product,price,quantity,currency,customer_name,customer_email,customer_phone',
    );
    expect((await postImport(t.app, token, file)).statusCode).toBe(201);

    const spans = await finishedSpans();
    const names = new Set(spans.map((s) => s.name));
    for (const name of [
      'POST /orders',
      'POST /orders/imports',
      'password.verify',
      'audit.append',
      'import.batch',
    ])
      expect(names, name).toContain(name);
    const queries = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    expect(queries.length).toBeGreaterThan(20);
    expect(queries.some((s) => String(s.attributes['db.query.text']).includes('$1'))).toBe(true);

    const text = exported(spans).toLowerCase();
    for (const piece of CANARY_PIECES) expect(text, piece).not.toContain(piece.toLowerCase());
    expect(text).not.toContain(token.toLowerCase());
    expect(text).not.toContain(TEST_OPERATOR_PASSWORD.toLowerCase());
  });

  it('a 500 names the trace id beside the request id, and the span records the failure without its message', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/probe/boom' });
    expect(res.statusCode).toBe(500);
    const body = res.json<{ requestId: string; traceId?: string }>();
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
    const span = (await finishedSpans()).find((s) => s.spanContext().traceId === body.traceId);
    expect(span?.name).toBe('GET /probe/boom');
    expect(span?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(exported([span!])).not.toContain('secret_table');
    const line = t.logs
      .records()
      .find((l) => l.requestId === body.requestId && l.msg === 'request completed');
    expect(line?.traceId).toBe(body.traceId);
  });

  it('a 4xx carries no trace id and leaves its span unfailed', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/orders' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).not.toHaveProperty('traceId');
    const requestId = res.headers['x-request-id'];
    const line = t.logs.records().find((l) => l.requestId === requestId && l.msg === 'request completed');
    const span = (await finishedSpans()).find((s) => s.spanContext().traceId === line?.traceId);
    expect(span?.attributes['http.response.status_code']).toBe(401);
    expect(span?.status.code).not.toBe(2);
  });
});
