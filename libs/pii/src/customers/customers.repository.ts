import { ownerWhere, type Reach } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { arrayLiteral, Database } from '@orderops/core';
import { DataSource, In, Not, type EntityManager } from 'typeorm';
import { CustomerEntity } from './customer.entity.js';

/** A customer row to insert: ciphertexts and blind indexes only, never plaintext. */
export interface NewCustomerRow {
  readonly id: string;
  readonly wrappedDek: string;
  readonly kekVersion: number;
  readonly nameEnc: string;
  readonly emailEnc: string;
  readonly phoneEnc: string | null;
  readonly addressEnc: string | null;
  readonly emailBidx: string;
  readonly phoneBidx: string | null;
}

/** A customer found (or just created) under its email blind index. */
export interface CustomerIdByEmail {
  readonly id: string;
  readonly emailBidx: string;
}

export interface CreatedCustomerRow extends CustomerIdByEmail {
  readonly createdAt: Date;
}

/** A data key re-wrapped under another master key version. */
export interface RewrappedKey {
  readonly id: string;
  readonly wrappedDek: string;
  readonly kekVersion: number;
}

/** The columns a decrypted record needs, as raw SQL returns them. */
interface StoredCustomerRow {
  id: string;
  wrapped_dek: string | null;
  kek_version: number | null;
  name_enc: string | null;
  email_enc: string | null;
  phone_enc: string | null;
  address_enc: string | null;
  owner: string;
  created_at: Date | string;
  erased_at: Date | string | null;
}

const STORED_COLUMNS = `"id", "wrapped_dek", "kek_version", "name_enc", "email_enc", "phone_enc", "address_enc",
  "owner", "created_at", "erased_at"`;

/** Constant texts: on PostgreSQL each becomes one prepared statement per connection. */
const GET_BY_IDS = `SELECT ${STORED_COLUMNS} FROM "customers" WHERE "id" = ANY($1::varchar[])`;
const GET_IDS_BY_EMAIL_INDEXES = `SELECT "id", "email_bidx" FROM "customers"
  WHERE "email_bidx" = ANY($1::varchar[]) AND "owner" = $2`;
// Arrays as parameters: ten bind parameters however many rows. A row whose email the owner
// already has (a concurrent transaction's, once it commits) is skipped, not an error.
const CREATE_MANY = `INSERT INTO "customers" ("id", "wrapped_dek", "kek_version", "name_enc", "email_enc",
    "phone_enc", "address_enc", "email_bidx", "phone_bidx", "owner")
  SELECT t.*, $10 FROM unnest($1::varchar[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::varchar[], $9::varchar[]) AS t
  ON CONFLICT ("email_bidx", "owner") DO NOTHING
  RETURNING "id", "email_bidx", "created_at"`;
const UPDATE_WRAPPED_KEYS = `UPDATE "customers" AS c
  SET "wrapped_dek" = t.wrapped_dek, "kek_version" = t.kek_version, "updated_at" = now()
  FROM unnest($1::varchar[], $2::text[], $3::int[]) AS t(id, wrapped_dek, kek_version)
  WHERE c."id" = t.id`;

function toEntity(row: StoredCustomerRow): CustomerEntity {
  return Object.assign(new CustomerEntity(), {
    id: row.id,
    wrappedDek: row.wrapped_dek,
    kekVersion: row.kek_version,
    nameEnc: row.name_enc,
    emailEnc: row.email_enc,
    phoneEnc: row.phone_enc,
    addressEnc: row.address_enc,
    owner: row.owner,
    createdAt: new Date(row.created_at),
    erasedAt: row.erased_at === null ? null : new Date(row.erased_at),
  });
}

/**
 * Every query on the `customers` table. Rows hold ciphertexts and blind indexes; the keys
 * and the rules (who may see what, what is audited) stay in CustomersService.
 */
@Injectable()
export class CustomersRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly database: Database,
  ) {}

  /** The customer if `reach` covers it; one outside it is undefined, exactly like a missing id. */
  async getById(
    id: string,
    reach: Reach,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<CustomerEntity | undefined> {
    const entity = await manager.getRepository(CustomerEntity).findOneBy({ id, ...ownerWhere(reach) });
    return entity ?? undefined;
  }

  /**
   * Customers by id, whoever owns them (callers have checked the objects that point at them);
   * unknown ids are skipped. Outside a transaction this is a prepared read on the pool, for
   * the order read paths.
   */
  async getByIds(ids: readonly string[], manager?: EntityManager): Promise<CustomerEntity[]> {
    if (ids.length === 0) return [];
    const params = [[...new Set(ids)]];
    const rows = manager
      ? await manager.query<StoredCustomerRow[]>(GET_BY_IDS, params)
      : await this.database.read<StoredCustomerRow>(GET_BY_IDS, params);
    return rows.map(toEntity);
  }

  /** The owner's customers among these email blind indexes. */
  async getIdsByEmailIndexes(
    owner: string,
    emailIndexes: readonly string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<CustomerIdByEmail[]> {
    if (emailIndexes.length === 0) return [];
    const rows = await manager.query<{ id: string; email_bidx: string }[]>(GET_IDS_BY_EMAIL_INDEXES, [
      arrayLiteral(emailIndexes),
      owner,
    ]);
    return rows.map((row) => ({ id: row.id, emailBidx: row.email_bidx }));
  }

  /** Up to `limit` customers `reach` covers with this email or phone blind index, oldest first. */
  async search(
    by: { readonly emailBidx: string } | { readonly phoneBidx: string },
    reach: Reach,
    limit: number,
  ): Promise<CustomerEntity[]> {
    return this.dataSource.getRepository(CustomerEntity).find({
      where: { ...by, ...ownerWhere(reach) },
      order: { createdAt: 'ASC' },
      take: limit,
    });
  }

  /**
   * Inserts the owner's new customers in one statement (any number of rows). Rows whose email
   * the owner already has are skipped: only the rows inserted come back.
   */
  async createMany(
    owner: string,
    rows: readonly NewCustomerRow[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<CreatedCustomerRow[]> {
    if (rows.length === 0) return [];
    const created = await manager.query<{ id: string; email_bidx: string; created_at: Date | string }[]>(
      CREATE_MANY,
      [
        arrayLiteral(rows.map((r) => r.id)),
        arrayLiteral(rows.map((r) => r.wrappedDek)),
        arrayLiteral(rows.map((r) => r.kekVersion)),
        arrayLiteral(rows.map((r) => r.nameEnc)),
        arrayLiteral(rows.map((r) => r.emailEnc)),
        arrayLiteral(rows.map((r) => r.phoneEnc)),
        arrayLiteral(rows.map((r) => r.addressEnc)),
        arrayLiteral(rows.map((r) => r.emailBidx)),
        arrayLiteral(rows.map((r) => r.phoneBidx)),
        owner,
      ],
    );
    return created.map((row) => ({
      id: row.id,
      emailBidx: row.email_bidx,
      createdAt: new Date(row.created_at),
    }));
  }

  /**
   * Destroys the data key, the ciphertexts and the blind indexes of a customer `reach`
   * covers; the row stays, marked erased (first erasure's time). False when there is none.
   */
  async erase(id: string, reach: Reach, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result = await manager.getRepository(CustomerEntity).update(
      { id, ...ownerWhere(reach) },
      {
        wrappedDek: null,
        kekVersion: null,
        nameEnc: null,
        emailEnc: null,
        phoneEnc: null,
        addressEnc: null,
        emailBidx: null,
        phoneBidx: null,
        erasedAt: () => 'COALESCE(erased_at, now())',
      },
    );
    return (result.affected ?? 0) > 0;
  }

  /** How many data keys are wrapped under none of these master key versions (erased rows have none). */
  async countWrappedUnderNoneOf(versions: readonly number[]): Promise<number> {
    return this.dataSource.getRepository(CustomerEntity).count({
      where: { kekVersion: Not(In([...versions])) },
    });
  }

  /** How many data keys are wrapped under another master key version than `version`. */
  async countWrappedUnderOtherThan(version: number): Promise<number> {
    return this.dataSource.getRepository(CustomerEntity).count({ where: { kekVersion: Not(version) } });
  }

  /**
   * Up to `limit` customers whose data key is wrapped under another version than `version`,
   * locked for the caller's transaction, in id order (so successive batches make progress).
   */
  async lockWrappedUnderOtherThan(
    version: number,
    limit: number,
    manager: EntityManager,
  ): Promise<CustomerEntity[]> {
    return manager.getRepository(CustomerEntity).find({
      where: { kekVersion: Not(version) },
      take: limit,
      order: { id: 'ASC' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** Stores re-wrapped data keys, one statement for the batch. */
  async updateWrappedKeys(keys: readonly RewrappedKey[], manager: EntityManager): Promise<void> {
    if (keys.length === 0) return;
    await manager.query(UPDATE_WRAPPED_KEYS, [
      keys.map((k) => k.id),
      keys.map((k) => k.wrappedDek),
      keys.map((k) => k.kekVersion),
    ]);
  }
}
