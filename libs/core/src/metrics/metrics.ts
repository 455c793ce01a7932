import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
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
    const counter = this.counterNamed(name, help, []);
    counter.inc(0);
    return (by = 1) => counter.inc(by);
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
    for (const child of children.values()) child.inc(0);
    return (value, by = 1) => children.get(value)?.inc(by);
  }

  /** One registry per app, but a lib's module may be built twice in it: they share the series. */
  private counterNamed(name: string, help: string, labelNames: string[]): Counter {
    return (
      (this.registry.getSingleMetric(name) as Counter | undefined) ??
      new Counter({ name, help, labelNames, registers: [this.registry] })
    );
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of every series. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
