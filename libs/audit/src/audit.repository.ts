import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity.js';
import { AuditThrottleEntity } from './audit-throttle.entity.js';

/** The chain head as stored: the newest event's seq (decimal string) and hash. */
export interface AuditHeadRow {
  readonly seq: string;
  readonly hash: string;
}

/** An event ready to append: every column of `audit_events`, already validated and hashed. */
export type AuditEventRow = Pick<
  AuditEventEntity,
  | 'seq'
  | 'id'
  | 'at'
  | 'actor'
  | 'actorType'
  | 'action'
  | 'targetType'
  | 'targetId'
  | 'outcome'
  | 'requestId'
  | 'details'
  | 'prevHash'
  | 'hash'
>;

/** Filters of a page of events; `beforeSeq` is the decoded cursor. */
export interface AuditEventFilter {
  readonly beforeSeq?: string;
  readonly action?: string;
  readonly actor?: string;
  readonly targetId?: string;
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
}

/**
 * The audit tables (`audit_events`, `audit_chain_head`, `audit_throttle`) and nothing else.
 * No rules here: what an event may contain, how it is hashed and how the chain is checked
 * are AuditService's. The chain head advances by trigger on each insert (see the migration).
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The head, locked FOR UPDATE until the caller's transaction ends: this is what serializes
   * appends across connections and replicas. `manager` is required, a lock outside a
   * transaction would be released at once.
   */
  async lockHead(manager: EntityManager): Promise<AuditHeadRow | undefined> {
    const [head] = await manager.query<AuditHeadRow[]>(
      `SELECT "seq", "hash" FROM "audit_chain_head" WHERE "singleton" = 1 FOR UPDATE`,
    );
    return head === undefined ? undefined : { seq: String(head.seq), hash: head.hash };
  }

  async getHead(manager: EntityManager = this.dataSource.manager): Promise<AuditHeadRow | undefined> {
    const [head] = await manager.query<AuditHeadRow[]>(
      `SELECT "seq", "hash" FROM "audit_chain_head" WHERE "singleton" = 1`,
    );
    return head === undefined ? undefined : { seq: String(head.seq), hash: head.hash };
  }

  /**
   * Appends events in order, a statement each: the database's triggers refuse an event that
   * does not follow the head, and advance the head after each statement (an AFTER ROW
   * trigger of a multi-row insert would run only once the whole statement is done).
   */
  async append(events: readonly AuditEventRow[], manager: EntityManager): Promise<void> {
    for (const event of events) {
      await manager.query(
        `INSERT INTO "audit_events" ("seq", "id", "at", "actor", "actor_type", "action", "target_type",
           "target_id", "outcome", "request_id", "details", "prev_hash", "hash")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)`,
        [
          event.seq,
          event.id,
          event.at,
          event.actor,
          event.actorType,
          event.action,
          event.targetType,
          event.targetId,
          event.outcome,
          event.requestId,
          JSON.stringify(event.details),
          event.prevHash,
          event.hash,
        ],
      );
    }
  }

  /** Inserts a throttle key; false when it was already there (the window's event is recorded). */
  async claimThrottleKey(
    key: string,
    expiresAt: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const inserted = await manager.query<unknown[]>(
      `INSERT INTO "audit_throttle" ("key", "expires_at") VALUES ($1, $2) ON CONFLICT ("key") DO NOTHING RETURNING "key"`,
      [key, expiresAt],
    );
    return inserted.length > 0;
  }

  async deleteThrottleKeysExpiredBefore(
    cutoff: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .delete()
      .from(AuditThrottleEntity)
      .where('expires_at < :cutoff', { cutoff })
      .execute();
  }

  /** Events with `fromSeq <= seq <= toSeq`, oldest first, at most `limit` of them. */
  async getRange(fromSeq: string, toSeq: string, limit: number): Promise<AuditEventEntity[]> {
    return this.dataSource
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.seq >= :from AND e.seq <= :to', { from: fromSeq, to: toSeq })
      .orderBy('e.seq', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Events matching every given filter, newest first, at most `limit` of them. */
  async search(filter: AuditEventFilter, limit: number): Promise<AuditEventEntity[]> {
    const qb = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('e');
    if (filter.beforeSeq !== undefined) qb.andWhere('e.seq < :before', { before: filter.beforeSeq });
    if (filter.action !== undefined) qb.andWhere('e.action = :action', { action: filter.action });
    if (filter.actor !== undefined) qb.andWhere('e.actor = :actor', { actor: filter.actor });
    if (filter.targetId !== undefined) qb.andWhere('e.target_id = :targetId', { targetId: filter.targetId });
    if (filter.from !== undefined) qb.andWhere('e.at >= :from', { from: filter.from });
    if (filter.to !== undefined) qb.andWhere('e.at < :to', { to: filter.to });
    return qb.orderBy('e.seq', 'DESC').limit(limit).getMany();
  }
}
