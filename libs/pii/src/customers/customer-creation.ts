import type { AuditActor } from '@orderops/audit';
import type { RandomBytes } from '@orderops/core';
import { randomBytes } from 'node:crypto';

/** Where a creation draws ids, data keys and IVs from: the system, or a load's pool (RandomPool). */
export interface CreationRandom {
  readonly take: RandomBytes;
  /** ulid's source of randomness; absent, ulid's own. */
  readonly unit?: () => number;
}

export const SYSTEM_RANDOM: CreationRandom = { take: randomBytes };

export interface CustomerCreationOptions {
  /**
   * `{ each: actor }`: one `customer.created` event per customer created, by that actor.
   * `'counted'`: none here; the caller's own event counts them (an import's
   * `import.completed` carries `customersCreated`).
   */
  readonly audit: { readonly each: AuditActor } | 'counted';
  readonly random?: CreationRandom;
}

/** The customer an entry resolved to; `createdAt` only on the entry that created it. */
export interface ResolvedCustomer {
  readonly id: string;
  readonly createdAt?: Date;
}
