import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTracing, stopTracing } from '@orderops/core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sequenceNow } from '../support/audit.js';
import { TEST_OPERATOR_PASSWORD, tokenFor } from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

/**
 * The Kubernetes probes (`/health/live`, `/health/ready`) make no span with tracing on: not
 * theirs, not the readiness query's; nor does the audit sequencer's idle poll. Every other
 * route still does, its queries as children.
 */

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
// Before the app and its pool exist: a connection decides when it opens whether it traces.
startTracing({ spanProcessors: [processor] });
afterAll(stopTracing);

/**
 * The spans finished so far, but for the traces of the audit sequencer's batches: the
 * operators the setup creates are audited, and their batch may run at any moment; it is a
 * trace of its own (rooted at `audit.sequence`), never a probe's or a request's.
 */
async function finishedSpans(): Promise<ReadableSpan[]> {
  await processor.forceFlush();
  const spans = exporter.getFinishedSpans();
  const sequencing = new Set(
    spans
      .filter((s) => s.name === 'audit.sequence' && !s.parentSpanContext)
      .map((s) => s.spanContext().traceId),
  );
  return spans.filter((s) => !sequencing.has(s.spanContext().traceId));
}

describe('probes are not traced', () => {
  const t = useTestApp({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
    operators: { reader: ['orders:read'] },
  });
  beforeEach(async () => {
    await finishedSpans();
    exporter.reset();
  });

  it('/health/live and /health/ready (and its database check) make no span, even with a sampled traceparent', async () => {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    for (const url of ['/health/live', '/health/ready']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { traceparent } });
      expect(res.statusCode, url).toBe(200);
    }
    // Long enough for several of the sequencer's idle polls (every 100 ms), each a query.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await finishedSpans()).toEqual([]);
    // Nor does a probe's log line name a trace.
    const lines = t.logs
      .records()
      .filter((l) => l.msg === 'request completed' && l.route === '/health/ready');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toHaveProperty('traceId');
  });

  it('a traced route beside them still makes its server span, with its queries as children', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/orders?limit=1',
      headers: { authorization: `Bearer ${t.token('reader')}` },
    });
    expect(res.statusCode).toBe(200);
    const spans = await finishedSpans();
    const server = spans.find((s) => s.name === 'GET /orders');
    expect(server).toBeDefined();
    const queries = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) expect(query.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
  });

  it('a sequencer batch is one trace of its own: audit.sequence, its queries as its children', async () => {
    // A sign-in is audited; its event waits for the sequencer, run here outside any request.
    await tokenFor(t.app, 'reader', TEST_OPERATOR_PASSWORD);
    await finishedSpans();
    exporter.reset();
    await sequenceNow(t.app);
    await processor.forceFlush();
    const spans = exporter.getFinishedSpans();
    // The background poll may run a batch of its own meanwhile: each batch is its own root.
    const batches = spans.filter((s) => s.name === 'audit.sequence');
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) expect(batch.parentSpanContext).toBeUndefined();
    const batchIds = new Set(batches.map((b) => b.spanContext().spanId));
    const queries = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    expect(queries.map((q) => q.attributes['db.query.text'])).toContainEqual(
      expect.stringContaining('pg_try_advisory_xact_lock'),
    );
    // No query is a root span of its own. A query of a batch's trace is the batch's child; a
    // query that finished here but belongs to an earlier trace (the sign-in's request, its
    // spans already reset) is another trace's business, not the sequencer's.
    const batchTraces = new Set(batches.map((b) => b.spanContext().traceId));
    for (const query of queries) {
      const text = String(query.attributes['db.query.text']);
      expect(query.parentSpanContext, `a root span: ${text}`).toBeDefined();
      if (!batchTraces.has(query.spanContext().traceId)) continue;
      expect(batchIds.has(query.parentSpanContext?.spanId ?? ''), `not a batch's child: ${text}`).toBe(true);
    }
    // The batch's own lock query is among the batches' children.
    const lock = queries.find((q) =>
      String(q.attributes['db.query.text']).includes('pg_try_advisory_xact_lock'),
    );
    expect(batchIds.has(lock?.parentSpanContext?.spanId ?? '')).toBe(true);
  });
});
