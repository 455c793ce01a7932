import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.js';

export type CheckState = 'up' | 'down';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: { readonly database: CheckState; readonly migrations: 'applied' | 'pending' | 'unknown' };
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
  constructor(private readonly database: Database) {}

  async readiness(): Promise<ReadinessReport> {
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
