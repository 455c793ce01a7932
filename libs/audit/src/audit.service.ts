import { Injectable } from '@nestjs/common';
import {
  currentRequestContext,
  derivedHmacKey,
  inSpan,
  InjectConfig,
  Metrics,
  type AppConfig,
} from '@orderops/core';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import type { AuditEventEntity } from './audit-event.entity.js';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor.js';
import { networkOf, validateAuditDetails, validateAuditIdentifier } from './audit-details.js';
import {
  AUDIT_ACTOR_TYPES,
  AUDIT_OUTCOMES,
  computeLeafHash,
  type AuditActorType,
  type AuditDetails,
  type AuditOutcome,
} from './audit-hash.js';
import { AuditRepository, type NewAuditEventRow } from './audit.repository.js';
import { InvalidAuditEventError } from './audit.errors.js';

/** Who did it: an operator (uuid), a client (client id), the system (`cli`, `bootstrap`) or nobody known. */
export interface AuditActor {
  readonly type: AuditActorType;
  readonly id: string;
}

export const ANONYMOUS_ACTOR: AuditActor = { type: 'anonymous', id: 'anonymous' };
export const systemActor = (id: string): AuditActor => ({ type: 'system', id });

export interface AuditEventInput {
  /** Dotted lower-case name, `<area>.<object>.<verb>`: `auth.token.issued`, `pii.revealed`. */
  readonly action: string;
  readonly actor: AuditActor;
  /** Defaults to `success`. */
  readonly outcome?: AuditOutcome;
  /** What it was done to: a type (`operator`, `client`, `customer`, `order`) and an id, never a value. */
  readonly target?: { readonly type: string; readonly id: string };
  /** A small summary (<= 2 KiB): ids, counts, names of fields, a purpose. No personal data, no secrets. */
  readonly details?: AuditDetails;
}

/** What the caller's event contributes to its row; id, time and leaf hash come at append, seq from the sequencer. */
type AuditEventFields = Pick<
  AuditEventEntity,
  'actor' | 'actorType' | 'action' | 'targetType' | 'targetId' | 'outcome' | 'requestId' | 'details'
>;

export interface AuditQuery {
  readonly action?: string;
  readonly actor?: string;
  readonly targetId?: string;
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
  readonly cursor?: string;
  readonly limit: number;
}

export interface AuditPage {
  /** Newest first. */
  readonly events: AuditEventEntity[];
  readonly nextCursor: string | null;
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,4}$/;
const TARGET_TYPE = /^[a-z][a-z0-9_]{0,31}$/;
const FINGERPRINT_PURPOSE = 'audit-fingerprint';

/**
 * The audit trail's write and read side: records events inside the caller's transaction and
 * pages through them. The log's structure (sequencing, the Merkle tree, verification and
 * proofs) is AuditSequencer's and AuditLog's. Knows no domain: callers name their actions and
 * targets.
 */
@Injectable()
export class AuditService {
  /** Events recorded in open transactions, by the transaction's query runner, in order. */
  private readonly pending = new WeakMap<QueryRunner, AuditEventFields[]>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
    @InjectConfig() private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.appended = metrics.counter(
      'orderops_audit_appends_total',
      'Audit events written (just before their transaction commits; sequenced into the log after).',
    );
  }

  private readonly appended: (by?: number) => void;

  /**
   * Appends an event within the caller's transaction (`manager` must be a transaction's),
   * so it commits or rolls back with the change it records. The event is checked now (an
   * InvalidAuditEventError fails the transaction) and written when the transaction commits:
   * the audit subscriber inserts the transaction's events, in order, in one statement just
   * before COMMIT (see AuditCommitSubscriber). No lock is shared with other writers; the
   * sequencer gives the events their place in the log once they committed.
   */
  record(manager: EntityManager, event: AuditEventInput): Promise<void> {
    // A rule broken by the event rejects the promise (the executor's throw), as before.
    return new Promise((resolve) => {
      this.enqueue(manager, event);
      resolve();
    });
  }

  private enqueue(manager: EntityManager, event: AuditEventInput): void {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) {
      throw new InvalidAuditEventError('record() must run inside the transaction of the change it records');
    }
    const fields = this.validate(event);
    const queued = this.pending.get(runner);
    if (queued) queued.push(fields);
    else this.pending.set(runner, [fields]);
  }

  /**
   * Inserts the transaction's recorded events. Called just before the transaction (or a
   * savepoint) commits, and before a savepoint starts, so the events land at the level of the
   * change they record.
   */
  async appendPending(runner: QueryRunner): Promise<void> {
    const queued = this.pending.get(runner);
    if (!queued) return;
    this.pending.delete(runner);
    await this.insert(queued, runner.manager);
  }

  /** The one way events are written: their ids, one timestamp, leaf hashes, one INSERT. */
  private insert(events: readonly AuditEventFields[], manager: EntityManager): Promise<void> {
    return inSpan('audit.append', { 'orderops.audit.events': events.length }, async () => {
      const at = new Date();
      const rows: NewAuditEventRow[] = events.map((fields) => {
        const row = { id: randomUUID(), at, ...fields };
        return { ...row, leafHash: computeLeafHash(row) };
      });
      await this.repository.insertEvents(rows, manager);
      this.appended(rows.length);
    });
  }

  /** The transaction (or savepoint) rolls back: its recorded events are dropped with it. */
  discardPending(runner: QueryRunner): void {
    this.pending.delete(runner);
  }

  /**
   * Records at most one event per `key` and window across every replica: the first caller
   * in a window inserts the key, later ones find it and record nothing. For events that an
   * attacker could otherwise repeat to flood the trail (403s).
   */
  async recordOncePer(
    manager: EntityManager,
    key: string,
    windowSeconds: number,
    event: AuditEventInput,
  ): Promise<boolean> {
    const now = Date.now();
    const window = Math.floor(now / (windowSeconds * 1000));
    const digest = createHash('sha256').update(`${event.action}\n${key}\n${window}`, 'utf8').digest('hex');
    const expiresAt = new Date((window + 1) * windowSeconds * 1000);
    if (!(await this.repository.claimThrottleKey(digest, expiresAt, manager))) return false;
    await this.repository.deleteThrottleKeysExpiredBefore(new Date(now - windowSeconds * 1000), manager);
    await this.record(manager, event);
    return true;
  }

  /** recordOncePer in a transaction of its own, for an event that accompanies no change (a 403). */
  async recordAloneOncePer(key: string, windowSeconds: number, event: AuditEventInput): Promise<boolean> {
    return this.dataSource.transaction((manager) => this.recordOncePer(manager, key, windowSeconds, event));
  }

  /** An event that accompanies no other change (a failed login), in a transaction of its own. */
  async recordAlone(event: AuditEventInput): Promise<void> {
    // It needs no transaction: its one INSERT is atomic and durable when it commits on its
    // own. One round trip to the database instead of three (START, INSERT, COMMIT), on the
    // paths that run most (every token grant, every failed login).
    await this.insert([this.validate(event)], this.dataSource.manager);
  }

  /**
   * A keyed fingerprint of a value that must not be stored (an attempted username): equal
   * values give equal fingerprints under one master key version, and nothing is revealed.
   */
  fingerprint(value: string): string {
    const key = this.config.masterKeys.reveal().current;
    const mac = createHmac('sha256', derivedHmacKey(key, FINGERPRINT_PURPOSE))
      .update(value, 'utf8')
      .digest('hex');
    return `hmac:v${key.version}:${mac.slice(0, 32)}`;
  }

  /** The current request's client network (/24 or /48), never the address. */
  requestNetwork(): string | undefined {
    return networkOf(currentRequestContext()?.clientIp);
  }

  /** A page of events, newest first, after the cursor of the previous page. */
  async list(query: AuditQuery): Promise<AuditPage> {
    // One row more than the page tells whether another page follows.
    const rows = await this.repository.search(
      {
        beforeArrival: query.cursor === undefined ? undefined : decodeAuditCursor(query.cursor),
        action: query.action,
        actor: query.actor,
        targetId: query.targetId,
        from: query.from,
        to: query.to,
      },
      query.limit + 1,
    );
    const events = rows.slice(0, query.limit);
    const more = rows.length > query.limit;
    return { events, nextCursor: more ? encodeAuditCursor(events[events.length - 1].arrival) : null };
  }

  private validate(event: AuditEventInput): AuditEventFields {
    if (typeof event.action !== 'string' || event.action.length > 64 || !ACTION.test(event.action)) {
      throw new InvalidAuditEventError('action must be a dotted lower-case name of at most 64 characters');
    }
    const outcome = event.outcome ?? 'success';
    if (!AUDIT_OUTCOMES.includes(outcome))
      throw new InvalidAuditEventError('outcome is not one of the outcomes');
    if (!AUDIT_ACTOR_TYPES.includes(event.actor.type))
      throw new InvalidAuditEventError('actor type is unknown');
    if (event.target && !TARGET_TYPE.test(event.target.type)) {
      throw new InvalidAuditEventError('target type must be a lower-case name');
    }
    return {
      action: event.action,
      outcome,
      actorType: event.actor.type,
      actor: validateAuditIdentifier(event.actor.id, 'actor'),
      targetType: event.target?.type ?? null,
      targetId: event.target ? validateAuditIdentifier(event.target.id, 'target id') : null,
      requestId: currentRequestContext()?.requestId ?? null,
      details: validateAuditDetails(event.details),
    };
  }
}
