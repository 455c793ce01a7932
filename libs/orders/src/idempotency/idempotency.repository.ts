import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IdempotencyKeyEntity } from './idempotency-key.entity.js';

/** A key as its owner sent it: keys are per principal. */
export interface IdempotencyKeyRef {
  readonly principal: string;
  readonly idempotencyKey: string;
}

/** What a claim records: the request's body hash, the order it creates, how long the key is remembered. */
export interface IdempotencyClaim {
  readonly requestHash: string;
  /** Assigned before the order is placed, in the same transaction: the key and its order commit together. */
  readonly orderId: string;
  readonly expiresAt: Date;
}

/**
 * The only code that reads or writes `idempotency_keys`. Always in the caller's transaction:
 * a key means something only together with the order written in the same transaction.
 */
@Injectable()
export class IdempotencyRepository {
  /**
   * Inserts the key for this request and returns undefined; when the key exists, returns
   * its row instead, locked until the transaction ends. Concurrent requests with one key
   * serialize on the key (the insert waits for the first one's transaction), the later
   * ones seeing the first. One round trip when the key is new.
   */
  async claim(
    key: IdempotencyKeyRef,
    claim: IdempotencyClaim,
    manager: EntityManager,
  ): Promise<IdempotencyKeyEntity | undefined> {
    const inserted = await manager.query<unknown[]>(
      `INSERT INTO "idempotency_keys" ("principal", "idempotency_key", "request_hash", "order_id", "expires_at")
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
      [key.principal, key.idempotencyKey, claim.requestHash, claim.orderId, claim.expiresAt],
    );
    if (inserted.length > 0) return undefined;
    const row = await manager
      .getRepository(IdempotencyKeyEntity)
      .findOne({ where: { ...key }, lock: { mode: 'pessimistic_write' } });
    if (!row) throw new Error('idempotency key row vanished');
    return row;
  }

  /** Starts the key over for a new request (its earlier outcome has expired). */
  async reclaim(key: IdempotencyKeyRef, claim: IdempotencyClaim, manager: EntityManager): Promise<void> {
    await manager.getRepository(IdempotencyKeyEntity).update({ ...key }, { ...claim });
  }
}
