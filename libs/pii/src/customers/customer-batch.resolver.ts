import { RandomPool } from '@orderops/core';
import { normalizeEmail } from '../vault/blind-index.js';
import type { CustomerDetails } from './customer-record.js';
import type { CreationRandom, ResolvedCustomer } from './customer-creation.js';

/** How many email -> customer pairs one resolver remembers (bounded, whatever the file size). */
const DEFAULT_CACHE_SIZE = 50_000;

/** CustomersService.findOrCreateMany, bound to one load's owner, transaction and audit mode. */
export type FindOrCreateMany = (
  details: readonly CustomerDetails[],
  random: CreationRandom,
) => Promise<ResolvedCustomer[]>;

/**
 * Resolves the customers of a bulk load (an order import), batch by batch, through the
 * one creation path (CustomersService.findOrCreateMany): what it adds is a bounded cache,
 * so a customer seen earlier in the same load costs nothing, and one pool of randomness
 * for the whole load.
 */
export class CustomerBatchResolver {
  /**
   * Normalized email -> customer id, for this load only (in memory, like the file's rows):
   * a repeat customer costs no HMAC and no query.
   */
  private readonly cache = new Map<string, string>();
  /** Ids, data keys and IVs for a whole load come from one pool (see RandomPool). */
  private readonly random = new RandomPool();
  /** Customers this load created (recorded in the load's audit event as a count). */
  created = 0;

  constructor(
    private readonly findOrCreateMany: FindOrCreateMany,
    private readonly cacheSize = DEFAULT_CACHE_SIZE,
  ) {}

  /** The customer id for each entry of `details`, in order (matched by email). */
  async resolve(details: readonly CustomerDetails[]): Promise<string[]> {
    const emails = details.map((d) => normalizeEmail(d.email));
    const ids = new Map<string, string>();
    const missing = new Map<string, CustomerDetails>();
    emails.forEach((email, i) => {
      const cached = this.cache.get(email);
      if (cached !== undefined) ids.set(email, cached);
      else if (!missing.has(email)) missing.set(email, details[i]);
    });
    if (missing.size > 0) {
      const resolved = await this.findOrCreateMany([...missing.values()], this.random);
      let i = 0;
      for (const email of missing.keys()) {
        const { id, createdAt } = resolved[i++];
        if (createdAt !== undefined) this.created++;
        ids.set(email, id);
        this.remember(email, id);
      }
    }
    return emails.map((email) => ids.get(email)!);
  }

  private remember(email: string, id: string): void {
    if (this.cache.has(email)) return;
    if (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(email, id);
  }
}
