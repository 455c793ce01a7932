import {
  context as otelContext,
  diag,
  DiagLogLevel,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { currentRequestContext } from '../http/request-context.js';
import { keepOrderOpsTracer, orderOpsTracer } from './tracer.js';

/**
 * Whether spans are made at all. Off (the default) every helper below is a plain call: no
 * span objects, no context switches, nothing on the hot path.
 */
let enabled = false;
let sdk: NodeSDK | undefined;

export function tracingEnabled(): boolean {
  return enabled;
}

export interface TracingOptions {
  /** Where spans go instead of the exporter the OTEL_* variables pick (tests: in memory). */
  readonly spanProcessors?: NodeSDKConfiguration['spanProcessors'];
}

/**
 * Starts the OpenTelemetry SDK for traces only, configured by the standard OTEL_* variables
 * (endpoint, protocol, headers, sampler, propagators, resource attributes, service name).
 * Metrics stay with Prometheus and logs with pino: the SDK gets no metric reader and no log
 * processor, and no auto-instrumentation (the spans are made where OrderOps knows what an
 * operation is, and what of it may be recorded). Call once, before the app is created.
 */
export function startTracing(options: TracingOptions = {}): void {
  if (sdk) return;
  sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'orderops',
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  keepOrderOpsTracer(trace.getTracer('orderops'));
  enabled = true;
}

/**
 * Sends the SDK's own warnings and errors (an export the collector refused or never
 * answered) to `logger`, which scrubs them like every line; only the message text is kept,
 * never the objects that come with it. Without this they would go nowhere.
 */
export function reportTracingProblemsTo(logger: Logger): void {
  if (!enabled) return;
  const log = logger.child({ context: 'Tracing' });
  const warn = (message: string): void => log.warn(message);
  const ignore = (): void => undefined;
  diag.setLogger(
    { error: warn, warn, info: ignore, debug: ignore, verbose: ignore },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

/** Flushes and stops the SDK (shutdown): spans still batched are exported first. */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  enabled = false;
  keepOrderOpsTracer(undefined);
  if (!running) return;
  await running.shutdown();
  // The API keeps its globals across SDK instances unless they are released explicitly.
  trace.disable();
  otelContext.disable();
  diag.disable();
}

/** Set while background work that must make no span runs (see runUntraced). */
const untracedWork = new AsyncLocalStorage<true>();

/**
 * Runs `work` so that nothing inside it makes a span: for background chores that run many
 * times a second outside any request (the audit sequencer's idle poll), which would
 * otherwise each start a root trace of their own and bury the requests' traces.
 */
export function runUntraced<T>(work: () => T): T {
  return enabled ? untracedWork.run(true, work) : work();
}

/**
 * A span for an operation inside the current request, the child of its server span (or a
 * root span outside any request); none inside a request to an @Untraced route.
 */
export function startSpan(name: string, attributes: Attributes, kind = SpanKind.INTERNAL): Span | undefined {
  if (!enabled) return undefined;
  const request = currentRequestContext();
  if (request?.untraced || untracedWork.getStore()) return undefined;
  return orderOpsTracer().startSpan(
    name,
    { kind, attributes },
    request?.traceContext ?? otelContext.active(),
  );
}

/** Ends `span`, marked failed when `failed`; only a fixed reason, never an error's message. */
export function endSpan(span: Span | undefined, failed = false, reason?: string): void {
  if (!span) return;
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR, ...(reason ? { message: reason } : {}) });
  span.end();
}

/**
 * Runs `operation` inside a span named `name`. Attributes are the caller's to choose and
 * must never hold personal data or a secret: counts, kinds and fixed names only.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  operation: () => Promise<T>,
): Promise<T> {
  const span = startSpan(name, attributes);
  if (!span) return operation();
  try {
    // Inside a request every span is a child of its server span (one context per request).
    // Outside one (background work such as the audit sequencer) this span is the parent of
    // the spans inside it, its queries among them, rather than each making a trace of its own.
    const result = currentRequestContext()
      ? await operation()
      : await otelContext.with(trace.setSpan(otelContext.active(), span), operation);
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, true, error instanceof Error ? error.name : 'error');
    throw error;
  }
}
