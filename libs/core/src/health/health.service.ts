import { Injectable, Logger } from '@nestjs/common';
import { Database } from '../database/database.js';
import { Metrics } from '../metrics/metrics.js';

export type CheckState = 'up' | 'down';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: { readonly database: CheckState; readonly migrations: 'applied' | 'pending' | 'unknown' };
}

export interface LivenessReport {
  readonly live: boolean;
  readonly checks: { readonly pool: 'ok' | 'wedged' };
}

/** A probe that hangs is a failed probe: Kubernetes must see "not ready", not a timeout. */
const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  private lastReady: boolean | undefined;
  private wedged = false;
  private readonly readinessChanged: () => void;

  constructor(
    private readonly database: Database,
    metrics: Metrics,
  ) {
    metrics.gauge(
      'orderops_health_ready',
      'Result of the last readiness check (1 ready, 0 not); absent until the first probe.',
      () => (this.lastReady === undefined ? undefined : Number(this.lastReady)),
    );
    const changed = metrics.counter(
      'orderops_health_readiness_changes_total',
      'Readiness checks whose result differed from the one before (ready <-> not ready).',
    );
    this.readinessChanged = () => changed();
  }

  async readiness(): Promise<ReadinessReport> {
    const report = await this.check();
    if (this.lastReady !== undefined && this.lastReady !== report.ready) this.readinessChanged();
    this.lastReady = report.ready;
    return report;
  }

  /**
   * Never touches the database: a database that is down must not fail liveness (every
   * replica restarting at once cures nothing), only a pool wedged inside this process.
   */
  liveness(): LivenessReport {
    const stall = this.database.poolStall();
    if (stall.wedged !== this.wedged) {
      this.wedged = stall.wedged;
      if (stall.wedged) {
        this.logger.error(
          { stalledMs: Math.round(stall.stalledMs), lentOut: stall.lentOut },
          'Database pool wedged: connections lent out never came back; liveness fails',
        );
      } else this.logger.log('Database pool recovered; liveness passes');
    }
    return { live: !stall.wedged, checks: { pool: stall.wedged ? 'wedged' : 'ok' } };
  }

  private async check(): Promise<ReadinessReport> {
    try {
      await withTimeout(this.database.ping(), CHECK_TIMEOUT_MS);
    } catch {
      return { ready: false, checks: { database: 'down', migrations: 'unknown' } };
    }
    try {
      const pending = await withTimeout(this.database.hasPendingMigrations(), CHECK_TIMEOUT_MS);
      return { ready: !pending, checks: { database: 'up', migrations: pending ? 'pending' : 'applied' } };
    } catch {
      return { ready: false, checks: { database: 'up', migrations: 'unknown' } };
    }
  }
}
