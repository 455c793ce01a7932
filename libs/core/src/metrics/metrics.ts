import { collectDefaultMetrics, Registry } from 'prom-client';
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

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of every series. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
