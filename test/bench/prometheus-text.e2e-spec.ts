// scripts/bench/prometheus.mjs reads the processes' metrics for `npm run bench:audit` (the
// events the app counted, the sequencing lag p99): checked here on prom-client's own output,
// the registry the app serves.
import { Histogram, Registry, Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';

interface Quantile {
  observations: number;
  seconds?: number;
  bucket?: number;
  above?: boolean;
}
interface PrometheusText {
  samples(text: string, name: string): { labels: string; value: number }[];
  sumOf(texts: string[], name: string): number | undefined;
  buckets(texts: string[], name: string): Map<number, number> | undefined;
  quantile(q: number, before: Map<number, number> | undefined, after: Map<number, number>): Quantile;
}

const prometheus = (await import(
  new URL('../../scripts/bench/prometheus.mjs', import.meta.url).href
)) as PrometheusText;

const LAG = 'orderops_audit_sequencing_lag_seconds';

function lagRegistry(): { registry: Registry; observe: (seconds: number, replica?: string) => void } {
  const registry = new Registry();
  const histogram = new Histogram({
    name: LAG,
    help: 'lag',
    labelNames: ['replica'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  // A metric whose name starts with the histogram's must not be read as it.
  new Counter({ name: `${LAG}_sequencer_restarts_total`, help: 'other', registers: [registry] }).inc(7);
  return { registry, observe: (seconds, replica = 'a') => histogram.labels(replica).observe(seconds) };
}

describe('bench Prometheus text', () => {
  it('sums a counter over processes, and tells a missing metric from a zero', async () => {
    const texts = await Promise.all(
      [3, 4].map(async (n) => {
        const registry = new Registry();
        new Counter({ name: 'orderops_audit_appends_total', help: 'x', registers: [registry] }).inc(n);
        return registry.metrics();
      }),
    );
    expect(prometheus.sumOf(texts, 'orderops_audit_appends_total')).toBe(7);
    expect(prometheus.sumOf(texts, 'orderops_audit_appends')).toBeUndefined();
    expect(prometheus.sumOf(texts, 'orderops_audit_gone_total')).toBeUndefined();
  });

  it('finds the p99 of the observations between two scrapes, across processes and labels', async () => {
    const one = lagRegistry();
    const two = lagRegistry();
    // Before: slow observations that must not count.
    for (let i = 0; i < 50; i++) one.observe(3);
    const before = prometheus.buckets([await one.registry.metrics(), await two.registry.metrics()], LAG);
    // Between: 990 fast ones on two processes and labels, 10 between 0.1 and 0.5 s.
    for (let i = 0; i < 495; i++) one.observe(0.02, 'a');
    for (let i = 0; i < 495; i++) two.observe(0.02, 'b');
    for (let i = 0; i < 10; i++) two.observe(0.3);
    const after = prometheus.buckets([await one.registry.metrics(), await two.registry.metrics()], LAG);
    expect(after).toBeDefined();
    const p99 = prometheus.quantile(0.99, before, after!);
    expect(p99.observations).toBe(1000);
    // Rank 990 is the last of the 0.01-0.05 bucket: its upper bound.
    expect(p99.bucket).toBe(0.05);
    expect(p99.seconds).toBeCloseTo(0.05, 10);
    const p995 = prometheus.quantile(0.995, before, after!);
    expect(p995.bucket).toBe(0.5);
    expect(p995.seconds).toBeCloseTo(0.1 + 0.4 * 0.5, 10);
    // Counting the earlier slow ones too moves it above 1 s: the difference matters.
    expect(prometheus.quantile(0.99, undefined, after!).seconds).toBeGreaterThan(1);
  });

  it('says when the quantile lies beyond the last bucket, and when nothing was observed', async () => {
    const one = lagRegistry();
    one.observe(0.02);
    const first = prometheus.buckets([await one.registry.metrics()], LAG);
    expect(prometheus.quantile(0.99, first, first!)).toEqual({ observations: 0 });
    for (let i = 0; i < 10; i++) one.observe(60);
    const after = prometheus.buckets([await one.registry.metrics()], LAG);
    expect(prometheus.quantile(0.99, first, after!)).toEqual({ observations: 10, seconds: 5, above: true });
    expect(prometheus.buckets(['# no such metric\nother_metric 1\n'], LAG)).toBeUndefined();
  });
});
