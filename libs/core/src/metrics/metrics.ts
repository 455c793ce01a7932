import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics.js';
import { DatabaseMetrics } from './database-metrics.js';

/**
 * The app's one Prometheus registry. Its own instance, never prom-client's global one: a
 * test process runs several apps, and each must scrape only its own series.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly database = new DatabaseMetrics(this.registry);
  private processCollectors = false;

  /**
   * Event-loop lag, GC, heap and the process basics (the default collectors, under their
   * standard names so stock dashboards work). Started only where something can scrape them:
   * the CLI opens the same core and never serves metrics.
   */
  collectProcessMetrics(): void {
    if (this.processCollectors) return;
    this.processCollectors = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** A counter without labels, present (at 0) from the start. */
  counter(name: string, help: string): (by?: number) => void {
    const series = this.counterNamed(name, help, []).labels();
    return (by = 1) => series.inc(by);
  }

  /**
   * A counter with one label whose values are fixed here, each series present (at 0) from
   * the start: the type keeps a caller-controlled string out, and a dashboard sees a zero
   * rather than a gap.
   */
  closedCounter<V extends string>(
    name: string,
    help: string,
    label: string,
    values: readonly V[],
  ): (value: V, by?: number) => void {
    const counter = this.counterNamed(name, help, [label]);
    const children = new Map(values.map((value) => [value, counter.labels(value)] as const));
    return (value, by = 1) => children.get(value)?.inc(by);
  }

  /**
   * A gauge read at scrape time from what the caller keeps (a number it already tracks), so
   * nothing is spent per event. Registered once per name: a second module's reader replaces
   * the first, like the counters' shared series.
   */
  gauge(name: string, help: string, read: () => number | undefined): void {
    const readers = this.gaugeReaders;
    readers.set(name, read);
    if (this.registry.getSingleMetric(name) !== undefined) return;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        const value = readers.get(name)?.();
        if (value !== undefined) this.set(value);
      },
    });
  }

  /**
   * A histogram in seconds, optionally with one label from a fixed set (each series present
   * from the start, like closedCounter). Returns the observer: (seconds, value?) => void.
   */
  histogram<V extends string = never>(
    name: string,
    help: string,
    buckets: readonly number[],
    label?: { name: string; values: readonly V[] },
  ): (seconds: number, value?: V) => void {
    const existing = this.registry.getSingleMetric(name);
    const histogram =
      existing instanceof BoundHistogram
        ? existing
        : new BoundHistogram(this.registry, { name, help, buckets, labelNames: label ? [label.name] : [] });
    if (label === undefined) {
      const series = histogram.labels();
      return (seconds) => series.observe(seconds);
    }
    const children = new Map(label.values.map((value) => [value, histogram.labels(value)] as const));
    return (seconds, value) => {
      if (value !== undefined) children.get(value)?.observe(seconds);
    };
  }

  private readonly gaugeReaders = new Map<string, () => number | undefined>();

  /** One registry per app, but a lib's module may be built twice in it: they share the series. */
  private counterNamed(name: string, help: string, labelNames: string[]): BoundCounter {
    const existing = this.registry.getSingleMetric(name);
    return existing instanceof BoundCounter
      ? existing
      : new BoundCounter(this.registry, { name, help, labelNames });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of every series. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
