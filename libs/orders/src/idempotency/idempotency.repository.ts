import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IdempotencyKeyEntity } from './idempotency-key.entity.js';

/** A key as its owner sent it: keys are per principal. */
export interface IdempotencyKeyRef {
  readonly principal: string;
  readonly idempotencyKey: string;
}

/** What a claim records: the request's body hash and how long the key is remembered. */
export interface IdempotencyClaim {
  readonly requestHash: string;
  readonly expiresAt: Date;
}

/**
 * The only code that reads or writes `idempotency_keys`. Always in the caller's transaction:
 * a key means something only together with the order written in the same transaction.
 */
@Injectable()
export class IdempotencyRepository {
  /**
   * Inserts the key unless it exists, then returns its row locked until the transaction
   * ends: concurrent requests with one key serialize here, the later ones seeing the first.
   */
  async claim(
    key: IdempotencyKeyRef,
    claim: IdempotencyClaim,
    manager: EntityManager,
  ): Promise<IdempotencyKeyEntity> {
    const repo = manager.getRepository(IdempotencyKeyEntity);
    await repo
      .createQueryBuilder()
      .insert()
      .values({ ...key, ...claim, orderId: null })
      .orIgnore()
      .execute();
    const row = await repo.findOne({ where: { ...key }, lock: { mode: 'pessimistic_write' } });
    if (!row) throw new Error('idempotency key row vanished');
    return row;
  }

  /** Starts the key over for a new request (its earlier outcome has expired). */
  async reclaim(key: IdempotencyKeyRef, claim: IdempotencyClaim, manager: EntityManager): Promise<void> {
    await manager.getRepository(IdempotencyKeyEntity).update({ ...key }, { ...claim, orderId: null });
  }

  /** Remembers the order the key's request created. */
  async setOrder(key: IdempotencyKeyRef, orderId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(IdempotencyKeyEntity).update({ ...key }, { orderId });
  }
}
