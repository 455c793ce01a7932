import type { FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { BoundCounter, BoundHistogram, type CounterSeries, type HistogramSeries } from './bound-metrics.js';

/** The route label of a request no route matched: one series for every unknown path. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** Any other method a client sends counts as "other": the label set stays closed. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'other'] as const;
const METHOD_INDEX = new Map<string, number>(METHODS.map((m, i) => [m, i]));
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

interface Series {
  readonly requests: CounterSeries;
  readonly duration: HistogramSeries;
}

/**
 * Request count and latency by method, route template and status class, and the requests in
 * flight. Callback hooks, and the series are bound once per route, method and status class
 * (bound-metrics.ts), so a request costs two array lookups and three additions: no promise,
 * no label object, no label hashing.
 */
export function registerHttpMetrics(fastify: FastifyInstance, registry: Registry): void {
  const labelNames = ['method', 'route', 'status_class'];
  const requests = new BoundCounter(registry, {
    name: 'orderops_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status class.',
    labelNames,
  });
  const duration = new BoundHistogram(registry, {
    name: 'orderops_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method, route template and status class.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  let inFlight = 0;
  new Gauge({
    name: 'orderops_http_requests_in_flight',
    help: 'HTTP requests received and not yet answered or abandoned.',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });

  // route template -> [method * status classes] -> children; bounded by the route table.
  const byRoute = new Map<string, Array<Series | undefined>>();
  const seriesFor = (route: string, method: number, status: number): Series => {
    let slots = byRoute.get(route);
    if (slots === undefined) {
      slots = new Array<Series | undefined>(METHODS.length * STATUS_CLASSES.length);
      byRoute.set(route, slots);
    }
    const slot = method * STATUS_CLASSES.length + status;
    let series = slots[slot];
    if (series === undefined) {
      const values = [METHODS[method], route, STATUS_CLASSES[status]];
      series = { requests: requests.labels(...values), duration: duration.labels(...values) };
      slots[slot] = series;
    }
    return series;
  };

  // 'close' comes once per response, whether it was sent or the client went away first. One
  // shared listener, added with on(): once() would wrap it anew for every response.
  const ended = (): void => {
    inFlight--;
  };
  fastify.addHook('onRequest', (_request, reply, done) => {
    inFlight++;
    reply.raw.on('close', ended);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const method = METHOD_INDEX.get(request.method) ?? METHODS.length - 1;
    const statusClass = Math.min(
      Math.max(Math.floor(reply.statusCode / 100) - 1, 0),
      STATUS_CLASSES.length - 1,
    );
    // The template, never request.url: a concrete path carries ids and caller-chosen text.
    const series = seriesFor(request.routeOptions.url ?? UNMATCHED_ROUTE, method, statusClass);
    series.requests.inc();
    series.duration.observe(reply.elapsedTime / 1000);
    done();
  });
}
