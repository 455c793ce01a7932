import { RandomPool, type MasterKeyRing } from '@orderops/core';
import { createSecretKey } from 'node:crypto';
import { ulid } from 'ulid';
import type { EntityManager } from 'typeorm';
import { encryptField, newDataKey, wrapDataKey, type PiiColumn } from '../vault/field-cipher.js';
import { normalizeEmail } from '../vault/blind-index.js';
import type { CustomerDetails } from './customer-record.js';

/** How many email -> customer pairs one resolver remembers (bounded, whatever the file size). */
const DEFAULT_CACHE_SIZE = 50_000;

export interface CustomerBatchKeys {
  /** Whose customers the load finds and creates (see `Reach`). */
  readonly owner: string;
  readonly ring: MasterKeyRing;
  readonly emailIndex: (email: string) => string;
  readonly phoneIndex: (phone: string) => string;
}

/**
 * Finds or creates many customers inside one transaction, for bulk loads: one lookup by
 * email blind index per batch, one multi-row insert for the new ones, and a bounded cache
 * so a customer seen earlier in the same load costs nothing. Each new customer gets its own
 * random data key, as with `create()`; there is no per-row key derivation.
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
    private readonly manager: EntityManager,
    private readonly keys: CustomerBatchKeys,
    private readonly cacheSize = DEFAULT_CACHE_SIZE,
  ) {}

  /** The customer id for each entry of `details`, in order (matched by email). */
  async resolve(details: readonly CustomerDetails[]): Promise<string[]> {
    const emails = details.map((d) => normalizeEmail(d.email));
    const ids = new Map<string, string>();
    const missing = new Map<string, { index: string; details: CustomerDetails }>();
    emails.forEach((email, i) => {
      const cached = this.cache.get(email);
      if (cached !== undefined) ids.set(email, cached);
      else if (!missing.has(email))
        missing.set(email, { index: this.keys.emailIndex(email), details: details[i] });
    });
    if (missing.size > 0) {
      const byIndex = new Map<string, string>();
      await this.lookUp(
        [...missing.values()].map((m) => m.index),
        byIndex,
      );
      const toCreate = [...missing.values()].filter((m) => !byIndex.has(m.index));
      if (toCreate.length > 0) await this.createMany(toCreate, byIndex);
      for (const [email, { index }] of missing) {
        const id = byIndex.get(index);
        if (id === undefined) throw new Error('a customer could not be resolved');
        ids.set(email, id);
        this.remember(email, id);
      }
    }
    return emails.map((email) => ids.get(email)!);
  }

  private async lookUp(indexes: readonly string[], into: Map<string, string>): Promise<void> {
    const rows = await this.manager.query<{ id: string; email_bidx: string }[]>(
      `SELECT "id", "email_bidx" FROM "customers" WHERE "email_bidx" = ANY($1::varchar[]) AND "owner" = $2`,
      [indexes, this.keys.owner],
    );
    for (const row of rows) into.set(row.email_bidx, row.id);
  }

  private async createMany(
    entries: readonly { index: string; details: CustomerDetails }[],
    into: Map<string, string>,
  ): Promise<void> {
    const columns: [
      string[],
      string[],
      number[],
      string[],
      string[],
      (string | null)[],
      string[],
      (string | null)[],
    ] = [[], [], [], [], [], [], [], []];
    const [ids, wrappedDeks, kekVersions, names, emails, phones, emailIndexes, phoneIndexes] = columns;
    for (const { index, details } of entries) {
      const id = `CUS-${ulid(undefined, this.random.unit)}`;
      const dek = newDataKey(this.random.take);
      const { wrapped, kekVersion } = wrapDataKey(this.keys.ring, id, dek, this.random.take);
      const dekKey = createSecretKey(dek);
      const enc = (column: PiiColumn, value: string): string =>
        encryptField(dekKey, column, id, value, this.random.take);
      ids.push(id);
      wrappedDeks.push(wrapped);
      kekVersions.push(kekVersion);
      names.push(enc('name', details.name));
      emails.push(enc('email', details.email.trim()));
      phones.push(details.phone === undefined ? null : enc('phone', details.phone));
      emailIndexes.push(index);
      phoneIndexes.push(details.phone === undefined ? null : this.keys.phoneIndex(details.phone));
      dek.fill(0);
    }
    // Arrays as parameters: nine bind parameters however many rows. A concurrent load that
    // created the same person first wins; its row is looked up below.
    const created = await this.manager.query<{ id: string; email_bidx: string }[]>(
      `INSERT INTO "customers" ("id", "wrapped_dek", "kek_version", "name_enc", "email_enc", "phone_enc",
         "email_bidx", "phone_bidx", "owner")
       SELECT t.*, $9 FROM unnest($1::varchar[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
         $7::varchar[], $8::varchar[]) AS t
       ON CONFLICT ("email_bidx", "owner") DO NOTHING
       RETURNING "id", "email_bidx"`,
      [...columns, this.keys.owner],
    );
    this.created += created.length;
    for (const row of created) into.set(row.email_bidx, row.id);
    if (created.length < entries.length) {
      await this.lookUp(
        entries.map((e) => e.index).filter((index) => !into.has(index)),
        into,
      );
    }
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
