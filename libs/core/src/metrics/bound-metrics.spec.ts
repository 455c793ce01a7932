import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundCounter, BoundHistogram } from './bound-metrics.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['method', 'route', 'status_class'];
/** Label tuples, one with the characters the exposition format escapes. */
const TUPLES = [
  ['GET', '/orders/:id', '2xx'],
  ['POST', '/orders', '4xx'],
  ['GET', '/a "quoted" \\ route\nnext', '5xx'],
];
/** Observations on every bucket bound, between bounds, past the last one, and 0. */
const VALUES = [...BUCKETS, ...BUCKETS.map((b) => b * 0.7), 0, 11, 1e6, 0.0001];

/** The same events through prom-client's own children and through bound series. */
function both(
  events: (
    counters: Array<{ inc(by?: number): void }>,
    histograms: Array<{ observe(v: number): void }>,
    side: 'theirs' | 'ours',
  ) => void,
) {
  const theirs = new Registry();
  const counter = new Counter({
    name: 'c_total',
    help: 'a counter',
    labelNames: LABELS,
    registers: [theirs],
  });
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'a histogram',
    labelNames: LABELS,
    buckets: BUCKETS,
    registers: [theirs],
  });
  events(
    TUPLES.map((t) => counter.labels(...t)),
    TUPLES.map((t) => histogram.labels(...t)),
    'theirs',
  );
  const ours = new Registry();
  const boundCounter = new BoundCounter(ours, { name: 'c_total', help: 'a counter', labelNames: LABELS });
  const boundHistogram = new BoundHistogram(ours, {
    name: 'h_seconds',
    help: 'a histogram',
    labelNames: LABELS,
    buckets: BUCKETS,
  });
  events(
    TUPLES.map((t) => boundCounter.labels(...t)),
    TUPLES.map((t) => boundHistogram.labels(...t)),
    'ours',
  );
  return { theirs, ours };
}

describe('bound metrics', () => {
  it("expose exactly what prom-client's Counter and Histogram expose for the same events", async () => {
    const { theirs, ours } = both((counters, histograms) => {
      // Every series touched once first: prom-client lists series in first-touch order.
      counters.forEach((c) => c.inc(0));
      histograms.forEach((h) => h.observe(0));
      VALUES.forEach((v, i) => {
        counters[i % counters.length].inc();
        counters[(i + 1) % counters.length].inc(2.5);
        histograms[i % histograms.length].observe(v);
      });
    });
    const expected = await theirs.metrics();
    expect(expected).toContain('h_seconds_bucket{le="+Inf",method="GET"');
    expect(await ours.metrics()).toBe(expected);
    // The JSON form too, but for the exemplar slots prom-client leaves empty.
    const json = async (registry: Registry): Promise<unknown> =>
      JSON.parse(
        JSON.stringify(await registry.getMetricsAsJSON(), (key, value: unknown) =>
          key === 'exemplar' ? undefined : value,
        ),
      );
    expect(await json(ours)).toEqual(await json(theirs));
  });

  it('the comparison fails when a series counts under the wrong labels, or in the wrong bucket', async () => {
    const counted = both((counters, histograms, side) => {
      counters.forEach((c) => c.inc(0));
      histograms.forEach((h) => h.observe(0.02));
      counters[side === 'ours' ? 1 : 0].inc();
    });
    expect(await counted.ours.metrics()).not.toBe(await counted.theirs.metrics());
    const observed = both((counters, histograms, side) => {
      counters.forEach((c) => c.inc(0));
      histograms.forEach((h) => h.observe(side === 'ours' ? 0.0100001 : 0.01));
    });
    expect(await observed.ours.metrics()).not.toBe(await observed.theirs.metrics());
  });

  it('a series kept by its caller stays its own: other label values get other series', async () => {
    const registry = new Registry();
    const counter = new BoundCounter(registry, { name: 'x_total', help: 'x', labelNames: ['kind'] });
    const a = counter.labels('a');
    const b = counter.labels('b');
    for (let i = 0; i < 3; i++) a.inc();
    b.inc(5);
    expect(counter.labels('a')).toBe(a);
    const text = await registry.metrics();
    expect(text).toContain('x_total{kind="a"} 3');
    expect(text).toContain('x_total{kind="b"} 5');
    expect(() => counter.labels('a', 'extra')).toThrow(/takes 1 label/);
  });

  it('a histogram drops a value that is not a finite number, where prom-client would throw', async () => {
    const registry = new Registry();
    const series = new BoundHistogram(registry, { name: 'y_seconds', help: 'y', buckets: [1] }).labels();
    series.observe(Number.NaN);
    series.observe(Number.POSITIVE_INFINITY);
    series.observe(0.5);
    expect(await registry.metrics()).toContain('y_seconds_count 1');
  });
});
