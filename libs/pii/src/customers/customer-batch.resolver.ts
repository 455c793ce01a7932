import type { MasterKeyRing } from '@orderops/core';
import { ulid } from 'ulid';
import type { EntityManager } from 'typeorm';
import { encryptField, newDataKey, wrapDataKey, type PiiColumn } from '../vault/field-cipher.js';
import type { CustomerDetails } from './customers.service.js';

/** How many email -> customer pairs one resolver remembers (bounded, whatever the file size). */
const DEFAULT_CACHE_SIZE = 50_000;

export interface CustomerBatchKeys {
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
  /** Email blind index -> customer id: the cache holds no personal data in clear. */
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly manager: EntityManager,
    private readonly keys: CustomerBatchKeys,
    private readonly cacheSize = DEFAULT_CACHE_SIZE,
  ) {}

  /** The customer id for each entry of `details`, in order (matched by email). */
  async resolve(details: readonly CustomerDetails[]): Promise<string[]> {
    const indexes = details.map((d) => this.keys.emailIndex(d.email));
    const resolved = new Map<string, string>();
    const firstByIndex = new Map<string, CustomerDetails>();
    indexes.forEach((index, i) => {
      const cached = this.cache.get(index);
      if (cached !== undefined) resolved.set(index, cached);
      else if (!firstByIndex.has(index)) firstByIndex.set(index, details[i]);
    });
    if (firstByIndex.size > 0) {
      await this.lookUp([...firstByIndex.keys()], resolved);
      const toCreate = [...firstByIndex].filter(([index]) => !resolved.has(index));
      if (toCreate.length > 0) await this.createMany(toCreate, resolved);
    }
    for (const [index, id] of resolved) this.remember(index, id);
    return indexes.map((index) => {
      const id = resolved.get(index);
      if (id === undefined) throw new Error('a customer could not be resolved');
      return id;
    });
  }

  private async lookUp(indexes: readonly string[], into: Map<string, string>): Promise<void> {
    const rows = await this.manager.query<{ id: string; email_bidx: string }[]>(
      `SELECT "id", "email_bidx" FROM "customers" WHERE "email_bidx" = ANY($1::varchar[])`,
      [indexes],
    );
    for (const row of rows) into.set(row.email_bidx, row.id);
  }

  private async createMany(
    entries: readonly (readonly [string, CustomerDetails])[],
    into: Map<string, string>,
  ): Promise<void> {
    const columns: [string[], string[], number[], string[], string[], (string | null)[], string[], (string | null)[]] =
      [[], [], [], [], [], [], [], []];
    const [ids, wrappedDeks, kekVersions, names, emails, phones, emailIndexes, phoneIndexes] = columns;
    for (const [index, details] of entries) {
      const id = `CUS-${ulid()}`;
      const dek = newDataKey();
      const { wrapped, kekVersion } = wrapDataKey(this.keys.ring, id, dek);
      const enc = (column: PiiColumn, value: string): string => encryptField(dek, column, id, value);
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
    // Arrays as parameters: eight bind parameters however many rows. A concurrent load that
    // created the same person first wins; its row is looked up below.
    const created = await this.manager.query<{ id: string; email_bidx: string }[]>(
      `INSERT INTO "customers" ("id", "wrapped_dek", "kek_version", "name_enc", "email_enc", "phone_enc",
         "email_bidx", "phone_bidx")
       SELECT * FROM unnest($1::varchar[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
         $7::varchar[], $8::varchar[])
       ON CONFLICT ("email_bidx") DO NOTHING
       RETURNING "id", "email_bidx"`,
      columns,
    );
    for (const row of created) into.set(row.email_bidx, row.id);
    if (created.length < entries.length) {
      await this.lookUp(
        entries.map(([index]) => index).filter((index) => !into.has(index)),
        into,
      );
    }
  }

  private remember(index: string, id: string): void {
    if (this.cache.has(index)) return;
    if (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(index, id);
  }
}
