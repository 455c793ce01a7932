import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms whose series are bound once, each to a closed tuple of label
 * values, for code that runs per request or per query. A prom-client child validates and
 * hashes its labels and allocates on every inc or observe (1-4 us measured here, per call);
 * a bound series adds to numbers it holds. The registry reads them at scrape time through
 * `get()`, like any of its metrics, and formats them itself: the exposition is prom-client's
 * (bound-metrics.spec.ts proves it equal to its own Counter's and Histogram's).
 */

type Labels = Record<string, string>;

/** One sample as prom-client's registry formats it: `sharedLabels` are the series' own. */
interface Sample {
  readonly labels: Record<string, string | number>;
  readonly sharedLabels?: Labels;
  readonly value: number;
  readonly metricName?: string;
}

/** What `get()` answers the registry at scrape time. */
export interface ScrapedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly Sample[];
}

/** What the registry asks of a metric: its name, kind and, at scrape time, its values. */
abstract class BoundMetric<S extends { readonly labels: Labels }> {
  readonly aggregator = 'sum';
  private readonly series = new Map<string, S>();

  protected constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // The registry's types list its own classes; it uses only what this class has.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of `values` (one per label name, in order), created at 0 on first use. */
  protected seriesOf(values: readonly string[], create: (labels: Labels) => S): S {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values`);
    }
    // \u0000 cannot occur in a label value a closed set holds.
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      series = create(Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]])));
      this.series.set(key, series);
    }
    return series;
  }

  protected all(): IterableIterator<S> {
    return this.series.values();
  }

  abstract get(): Promise<ScrapedMetric>;

  protected scraped(values: readonly Sample[]): Promise<ScrapedMetric> {
    const { name, help, type, aggregator } = this;
    return Promise.resolve({ name, help, type, aggregator, values });
  }

  abstract reset(): void;
}

export interface CounterSeries {
  readonly labels: Labels;
  value: number;
  inc(by?: number): void;
}

export class BoundCounter extends BoundMetric<CounterSeries> {
  constructor(registry: Registry, config: { name: string; help: string; labelNames?: readonly string[] }) {
    super(config.name, config.help, 'counter', config.labelNames ?? [], registry);
  }

  /** The series of these label values; keep it and call `inc` on it. */
  labels(...values: string[]): CounterSeries {
    return this.seriesOf(values, (labels) => ({
      labels,
      value: 0,
      inc(by = 1) {
        this.value += by;
      },
    }));
  }

  get(): Promise<ScrapedMetric> {
    return this.scraped([...this.all()].map(({ labels, value }) => ({ labels, value })));
  }

  reset(): void {
    for (const series of this.all()) series.value = 0;
  }
}

export interface HistogramSeries {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative), the last one past every bound (+Inf). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
  observe(value: number): void;
}

export class BoundHistogram extends BoundMetric<HistogramSeries> {
  private readonly bounds: readonly number[];

  constructor(
    registry: Registry,
    config: { name: string; help: string; buckets: readonly number[]; labelNames?: readonly string[] },
  ) {
    super(config.name, config.help, 'histogram', config.labelNames ?? [], registry);
    this.bounds = [...config.buckets].sort((a, b) => a - b);
  }

  /** The series of these label values; keep it and call `observe` on it. */
  labels(...values: string[]): HistogramSeries {
    const bounds = this.bounds;
    return this.seriesOf(values, (labels) => ({
      labels,
      buckets: new Float64Array(bounds.length + 1),
      sum: 0,
      count: 0,
      observe(value: number) {
        // prom-client throws on these; a timing that cannot be one is dropped instead.
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > bounds[i]) i++;
        this.buckets[i]++;
        this.sum += value;
        this.count++;
      },
    }));
  }

  /**
   * For the exposition text, as prom-client lays a histogram out: per series its cumulative
   * buckets (`le`), +Inf, sum and count, the series' labels beside (`sharedLabels`).
   */
  getForPromString(): Promise<ScrapedMetric> {
    const bucket = `${this.name}_bucket`;
    const values: Sample[] = [];
    for (const series of this.all()) {
      const shared = series.labels;
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += series.buckets[i];
        values.push({ labels: { le }, sharedLabels: shared, value: cumulative, metricName: bucket });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: bucket },
        { labels: {}, sharedLabels: shared, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: shared, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return this.scraped(values);
  }

  /** The same samples with the series' labels merged into each, as prom-client's `get()`. */
  async get(): Promise<ScrapedMetric> {
    const scraped = await this.getForPromString();
    return {
      ...scraped,
      values: scraped.values.map(({ labels, sharedLabels, value, metricName }) => ({
        labels: { ...labels, ...sharedLabels },
        value,
        metricName,
      })),
    };
  }

  reset(): void {
    for (const series of this.all()) {
      series.buckets.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
