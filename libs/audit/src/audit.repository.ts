import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity.js';
import { AuditThrottleEntity } from './audit-throttle.entity.js';

/** The last chained event (before the Merkle log): its seq (decimal string) and hash. */
export interface AuditChainHeadRow {
  readonly seq: string;
  readonly hash: string;
}

/** A new event as its writer inserts it: unsequenced, with its leaf hash. */
export type NewAuditEventRow = Pick<
  AuditEventEntity,
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
  | 'leafHash'
>;

/** A tree head as stored: size (decimal string), root (hex) and when the batch ran. */
export interface AuditTreeHeadRow {
  readonly treeSize: string;
  readonly rootHash: string;
  readonly at: Date;
}

/** An event waiting for the sequencer. */
export interface UnsequencedEventRow {
  readonly arrival: string;
  readonly leafHash: string;
  readonly at: Date;
}

/** A tree node: level 0 is a leaf (index = seq - 1), higher levels are audit_tree_nodes rows. */
export interface AuditTreeNodeRow {
  readonly level: number;
  readonly index: string;
  readonly hash: string;
}

/** Filters of a page of events; `beforeArrival` is the decoded cursor. */
export interface AuditEventFilter {
  readonly beforeArrival?: string;
  readonly action?: string;
  readonly actor?: string;
  readonly targetId?: string;
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
}

/**
 * Key of the advisory lock that makes one sequencer run per database: a transaction-level
 * lock, so a sequencer that dies (or whose session is cut) releases it with its transaction.
 */
const SEQUENCER_LOCK_KEY = '7301948262113044481';

const headRow = (row: {
  tree_size: string | number;
  root_hash: string;
  at: Date | string;
}): AuditTreeHeadRow => ({
  treeSize: String(row.tree_size),
  rootHash: row.root_hash,
  at: new Date(row.at),
});

/**
 * The audit tables (`audit_events`, `audit_tree_nodes`, `audit_tree_heads`,
 * `audit_chain_head`, `audit_throttle`) and nothing else. No rules here: what an event may
 * contain, how it is hashed, how the tree grows and how it is checked are AuditService's and
 * AuditSequencer's. Triggers (see the migrations) refuse any change but the sequencing step.
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The frozen head of the chain that preceded the Merkle log (seq 0 when there was none). */
  async getChainHead(
    manager: EntityManager = this.dataSource.manager,
  ): Promise<AuditChainHeadRow | undefined> {
    const [head] = await manager.query<AuditChainHeadRow[]>(
      `SELECT "seq", "hash" FROM "audit_chain_head" WHERE "singleton" = 1`,
    );
    return head === undefined ? undefined : { seq: String(head.seq), hash: head.hash };
  }

  /**
   * Inserts events unsequenced, in one statement and in the given order (their arrival
   * values follow it). No shared row is touched: concurrent writers never wait on each other.
   */
  async insertEvents(events: readonly NewAuditEventRow[], manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO "audit_events" ("id", "at", "actor", "actor_type", "action", "target_type",
         "target_id", "outcome", "request_id", "details", "leaf_hash")
       SELECT e.id, e.at, e.actor, e.actor_type, e.action, e.target_type, e.target_id, e.outcome,
         e.request_id, e.details, e.leaf_hash
       FROM unnest($1::uuid[], $2::timestamptz[], $3::varchar[], $4::varchar[], $5::varchar[],
         $6::varchar[], $7::varchar[], $8::varchar[], $9::varchar[], $10::jsonb[], $11::varchar[])
         WITH ORDINALITY AS e(id, at, actor, actor_type, action, target_type, target_id, outcome,
           request_id, details, leaf_hash, n)
       ORDER BY e.n`,
      [
        events.map((e) => e.id),
        events.map((e) => e.at),
        events.map((e) => e.actor),
        events.map((e) => e.actorType),
        events.map((e) => e.action),
        events.map((e) => e.targetType),
        events.map((e) => e.targetId),
        events.map((e) => e.outcome),
        events.map((e) => e.requestId),
        events.map((e) => JSON.stringify(e.details)),
        events.map((e) => e.leafHash),
      ],
    );
  }

  /**
   * Takes the sequencer's lock for the caller's transaction; false when another sequencer
   * holds it. The transaction is also bounded, so a sequencer whose process hangs or whose
   * connection is black-holed lets go within seconds instead of holding the lock.
   */
  async tryLockSequencer(manager: EntityManager): Promise<boolean> {
    await manager.query(`SET LOCAL idle_in_transaction_session_timeout = '5s'`);
    await manager.query(`SET LOCAL statement_timeout = '10s'`);
    const [row] = await manager.query<{ locked: boolean }[]>(
      `SELECT pg_try_advisory_xact_lock(${SEQUENCER_LOCK_KEY}) AS "locked"`,
    );
    return row?.locked === true;
  }

  async latestTreeHead(
    manager: EntityManager = this.dataSource.manager,
  ): Promise<AuditTreeHeadRow | undefined> {
    const [row] = await manager.query<{ tree_size: string; root_hash: string; at: Date }[]>(
      `SELECT "tree_size", "root_hash", "at" FROM "audit_tree_heads" ORDER BY "tree_size" DESC LIMIT 1`,
    );
    return row === undefined ? undefined : headRow(row);
  }

  /** Stored heads with `after < tree_size <= upTo`, smallest first. */
  async treeHeadsBetween(after: string, upTo: string): Promise<AuditTreeHeadRow[]> {
    const rows = await this.dataSource.query<{ tree_size: string; root_hash: string; at: Date }[]>(
      `SELECT "tree_size", "root_hash", "at" FROM "audit_tree_heads"
       WHERE "tree_size" > $1 AND "tree_size" <= $2 ORDER BY "tree_size"`,
      [after, upTo],
    );
    return rows.map(headRow);
  }

  /** The highest seq given so far ("0" when none). */
  async maxSeq(manager: EntityManager = this.dataSource.manager): Promise<string> {
    const [row] = await manager.query<{ max: string | null }[]>(
      `SELECT max("seq") AS "max" FROM "audit_events"`,
    );
    return row?.max === null || row?.max === undefined ? '0' : String(row.max);
  }

  /** Committed events without a seq, in arrival order, at most `limit`. */
  async unsequenced(limit: number, manager: EntityManager): Promise<UnsequencedEventRow[]> {
    const rows = await manager.query<{ arrival: string; leaf_hash: string; at: Date }[]>(
      `SELECT "arrival", "leaf_hash", "at" FROM "audit_events" WHERE "seq" IS NULL ORDER BY "arrival" LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ arrival: String(r.arrival), leafHash: r.leaf_hash, at: new Date(r.at) }));
  }

  /** Whether any committed event waits for the sequencer (the partial index answers it). */
  async hasUnsequenced(): Promise<boolean> {
    const [row] = await this.dataSource.query<{ waiting: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM "audit_events" WHERE "seq" IS NULL) AS "waiting"`,
    );
    return row?.waiting === true;
  }

  async countUnsequenced(): Promise<number> {
    const [row] = await this.dataSource.query<{ count: string | number }[]>(
      `SELECT count(*) AS "count" FROM "audit_events" WHERE "seq" IS NULL`,
    );
    return Number(row?.count ?? 0);
  }

  /** The sequencing step: gives each event (by arrival) its seq, once. */
  async assignSeqs(
    arrivals: readonly string[],
    seqs: readonly string[],
    manager: EntityManager,
  ): Promise<void> {
    await manager.query(
      `UPDATE "audit_events" AS e SET "seq" = v.seq
       FROM unnest($1::bigint[], $2::bigint[]) AS v(arrival, seq)
       WHERE e."arrival" = v.arrival AND e."seq" IS NULL`,
      [arrivals, seqs],
    );
  }

  /** Leaf hashes of seq `fromSeq..toSeq`, in seq order. */
  async leafHashes(fromSeq: string, toSeq: string, manager: EntityManager): Promise<string[]> {
    const rows = await manager.query<{ leaf_hash: string }[]>(
      `SELECT "leaf_hash" FROM "audit_events" WHERE "seq" >= $1 AND "seq" <= $2 ORDER BY "seq"`,
      [fromSeq, toSeq],
    );
    return rows.map((r) => r.leaf_hash);
  }

  /** The stored hashes of the given nodes (level 0: leaves by index), those that exist. */
  async nodeHashes(
    refs: readonly { readonly level: number; readonly index: bigint }[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<AuditTreeNodeRow[]> {
    const leaves = refs.filter((r) => r.level === 0).map((r) => (r.index + 1n).toString());
    const inner = refs.filter((r) => r.level > 0);
    const found: AuditTreeNodeRow[] = [];
    if (leaves.length > 0) {
      const rows = await manager.query<{ seq: string; leaf_hash: string }[]>(
        `SELECT "seq", "leaf_hash" FROM "audit_events" WHERE "seq" = ANY($1::bigint[])`,
        [leaves],
      );
      for (const r of rows)
        found.push({ level: 0, index: (BigInt(r.seq) - 1n).toString(), hash: r.leaf_hash });
    }
    if (inner.length > 0) {
      const rows = await manager.query<{ level: number; idx: string; hash: string }[]>(
        `SELECT n."level", n."idx", n."hash" FROM "audit_tree_nodes" AS n
         JOIN unnest($1::smallint[], $2::bigint[]) AS r(level, idx) ON n."level" = r.level AND n."idx" = r.idx`,
        [inner.map((r) => r.level), inner.map((r) => r.index.toString())],
      );
      for (const r of rows) found.push({ level: Number(r.level), index: String(r.idx), hash: r.hash });
    }
    return found;
  }

  async insertNodes(nodes: readonly AuditTreeNodeRow[], manager: EntityManager): Promise<void> {
    if (nodes.length === 0) return;
    await manager.query(
      `INSERT INTO "audit_tree_nodes" ("level", "idx", "hash")
       SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::varchar[])`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)],
    );
  }

  async insertTreeHead(head: AuditTreeHeadRow, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO "audit_tree_heads" ("tree_size", "root_hash", "at") VALUES ($1, $2, $3)`,
      [head.treeSize, head.rootHash, head.at],
    );
  }

  /** The event at a position of the log, if sequenced. */
  async getBySeq(seq: string): Promise<AuditEventEntity | undefined> {
    const event = await this.dataSource.getRepository(AuditEventEntity).findOneBy({ seq });
    return event ?? undefined;
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

  /**
   * Sequenced events with `afterSeq < seq <= toSeq`, oldest first, at most `limit`: paged by
   * position, so each page is an index range scan whatever the table's statistics say.
   */
  async getRange(afterSeq: string, toSeq: string, limit: number): Promise<AuditEventEntity[]> {
    return this.dataSource
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.seq > :after AND e.seq <= :to', { after: afterSeq, to: toSeq })
      .orderBy('e.seq', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Events matching every given filter, newest first, at most `limit` of them. */
  async search(filter: AuditEventFilter, limit: number): Promise<AuditEventEntity[]> {
    const qb = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('e');
    if (filter.beforeArrival !== undefined)
      qb.andWhere('e.arrival < :before', { before: filter.beforeArrival });
    if (filter.action !== undefined) qb.andWhere('e.action = :action', { action: filter.action });
    if (filter.actor !== undefined) qb.andWhere('e.actor = :actor', { actor: filter.actor });
    if (filter.targetId !== undefined) qb.andWhere('e.target_id = :targetId', { targetId: filter.targetId });
    if (filter.from !== undefined) qb.andWhere('e.at >= :from', { from: filter.from });
    if (filter.to !== undefined) qb.andWhere('e.at < :to', { to: filter.to });
    return qb.orderBy('e.arrival', 'DESC').limit(limit).getMany();
  }
}
