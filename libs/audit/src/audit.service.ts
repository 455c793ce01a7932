import { Injectable } from '@nestjs/common';
import {
  currentRequestContext,
  deriveKey,
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
  AUDIT_GENESIS_HASH,
  AUDIT_OUTCOMES,
  computeAuditHash,
  type AuditActorType,
  type AuditDetails,
  type AuditOutcome,
} from './audit-hash.js';
import { AuditRepository, type AuditEventRow } from './audit.repository.js';
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

/** What the caller's event contributes to its row; seq, id, time and hashes come at append. */
type AuditEventFields = Pick<
  AuditEventEntity,
  'actor' | 'actorType' | 'action' | 'targetType' | 'targetId' | 'outcome' | 'requestId' | 'details'
>;

export interface AuditHead {
  readonly seq: string;
  readonly hash: string;
}

export const AUDIT_BREAKS = ['hash_mismatch', 'gap', 'checkpoint_mismatch'] as const;
export type AuditBreak = (typeof AUDIT_BREAKS)[number];

export interface AuditVerification {
  readonly valid: boolean;
  /** Events whose hash and position checked out. */
  readonly checked: number;
  /** The last event that checked out (0 and the genesis hash when none did). */
  readonly lastSeq: string;
  readonly lastHash: string;
  readonly brokenAt?: { readonly seq: string; readonly reason: AuditBreak };
}

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
const VERIFY_BATCH = 1000;
const FINGERPRINT_PURPOSE = 'audit-fingerprint';

/**
 * The tamper-evident audit trail: appends events inside the caller's transaction, verifies
 * the chain, and pages through it. Knows no domain: callers name their actions and targets.
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
      'Audit events appended to the chain (just before their transaction commits).',
    );
    this.verifyFailed = metrics.closedCounter(
      'orderops_audit_verify_failures_total',
      'Chain verifications (GET /audit/verify, or the CLI in its own process) that found a break, by kind.',
      'reason',
      AUDIT_BREAKS,
    );
    metrics.gauge(
      'orderops_audit_chain_head_seq',
      'Highest audit chain sequence number this process appended or read (max across replicas: the head).',
      () => this.knownHeadSeq(),
    );
  }

  private readonly appended: (by?: number) => void;
  private readonly verifyFailed: (reason: AuditBreak) => void;
  /** Highest seq seen here; undefined until this process appended or read the head. */
  private headSeq: number | undefined;
  private readingHead = false;

  private sawSeq(seq: string): void {
    const value = Number(seq);
    if (this.headSeq === undefined || value > this.headSeq) this.headSeq = value;
  }

  /**
   * The gauge's value. A replica that has appended nothing yet reads the head once, in the
   * background of its first scrape (a scrape must never wait on the database): the next
   * scrape has it.
   */
  private knownHeadSeq(): number | undefined {
    if (this.headSeq === undefined && !this.readingHead) {
      this.readingHead = true;
      this.repository.getHead().then(
        (head) => {
          if (head) this.sawSeq(head.seq);
          this.readingHead = false;
        },
        () => {
          this.readingHead = false;
        },
      );
    }
    return this.headSeq;
  }

  /**
   * Appends an event within the caller's transaction (`manager` must be a transaction's),
   * so it commits or rolls back with the change it records. The event is checked now (an
   * InvalidAuditEventError fails the transaction) and written when the transaction commits:
   * the audit subscriber appends the transaction's events, in order, just before COMMIT, so the chain head is locked only for that last step, not for the rest of
   * the caller's work (see AuditCommitSubscriber).
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
   * Appends the transaction's recorded events after the chain head, locked until COMMIT:
   * this is what serializes appends across connections and replicas. Called just before
   * the transaction (or a savepoint) commits, and before a savepoint starts, so the events
   * land at the level of the change they record.
   */
  async appendPending(runner: QueryRunner): Promise<void> {
    const queued = this.pending.get(runner);
    if (!queued) return;
    this.pending.delete(runner);
    await inSpan('audit.append', { 'orderops.audit.events': queued.length }, () =>
      this.appendQueued(runner, queued),
    );
  }

  private async appendQueued(runner: QueryRunner, queued: readonly AuditEventFields[]): Promise<void> {
    const head = await this.repository.lockHead(runner.manager);
    if (!head) throw new Error('audit chain head is missing: run the migrations');
    let { seq, hash } = head;
    const at = new Date();
    const rows: AuditEventRow[] = queued.map((fields) => {
      seq = (BigInt(seq) + 1n).toString();
      const row = { seq, id: randomUUID(), at, ...fields };
      const prevHash = hash;
      hash = computeAuditHash(prevHash, row);
      return { ...row, prevHash, hash };
    });
    await this.repository.append(rows, runner.manager);
    this.appended(rows.length);
    this.sawSeq(seq);
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
    return this.dataSource.transaction((manager) => this.record(manager, event));
  }

  /**
   * A keyed fingerprint of a value that must not be stored (an attempted username): equal
   * values give equal fingerprints under one master key version, and nothing is revealed.
   */
  fingerprint(value: string): string {
    const key = this.config.masterKeys.reveal().current;
    const mac = createHmac('sha256', deriveKey(key, FINGERPRINT_PURPOSE)).update(value, 'utf8').digest('hex');
    return `hmac:v${key.version}:${mac.slice(0, 32)}`;
  }

  /** The current request's client network (/24 or /48), never the address. */
  requestNetwork(): string | undefined {
    return networkOf(currentRequestContext()?.clientIp);
  }

  async head(manager?: EntityManager): Promise<AuditHead> {
    const head = await this.repository.getHead(manager);
    if (!head) throw new Error('audit chain head is missing: run the migrations');
    return head;
  }

  /**
   * Walks the chain from the genesis to the head and names the first event that is missing
   * (`gap`) or whose hash does not match its content and predecessor (`hash_mismatch`).
   * Events appended while it runs are left for the next run: the head is read first, and
   * every event up to it committed with it. With `checkpoint`, the event at its seq must
   * carry its hash (`checkpoint_mismatch` when the tail was rewritten or cut below it).
   */
  async verify(checkpoint?: AuditHead): Promise<AuditVerification> {
    const verification = await this.walk(checkpoint);
    if (verification.brokenAt) this.verifyFailed(verification.brokenAt.reason);
    return verification;
  }

  private async walk(checkpoint?: AuditHead): Promise<AuditVerification> {
    const head = await this.head();
    this.sawSeq(head.seq);
    const headSeq = BigInt(head.seq);
    let expected = 1n;
    let prevHash = AUDIT_GENESIS_HASH;
    let checked = 0;
    const result = (brokenAt?: AuditVerification['brokenAt']): AuditVerification => ({
      valid: brokenAt === undefined,
      checked,
      lastSeq: (expected - 1n).toString(),
      lastHash: prevHash,
      ...(brokenAt ? { brokenAt } : {}),
    });
    const checkpointSeq = checkpoint ? BigInt(checkpoint.seq) : undefined;
    if (checkpoint && checkpointSeq === 0n && checkpoint.hash !== AUDIT_GENESIS_HASH) {
      return result({ seq: '0', reason: 'checkpoint_mismatch' });
    }
    for (;;) {
      const batch = await this.repository.getRange(expected.toString(), head.seq, VERIFY_BATCH);
      for (const event of batch) {
        if (BigInt(event.seq) !== expected) return result({ seq: expected.toString(), reason: 'gap' });
        if (event.prevHash !== prevHash || computeAuditHash(event.prevHash, event) !== event.hash) {
          return result({ seq: event.seq, reason: 'hash_mismatch' });
        }
        if (checkpointSeq === expected && event.hash !== checkpoint?.hash) {
          return result({ seq: event.seq, reason: 'checkpoint_mismatch' });
        }
        checked++;
        prevHash = event.hash;
        expected++;
      }
      if (batch.length < VERIFY_BATCH) break;
    }
    if (expected - 1n < headSeq) return result({ seq: expected.toString(), reason: 'gap' });
    if (head.hash !== prevHash) return result({ seq: head.seq, reason: 'hash_mismatch' });
    if (checkpointSeq !== undefined && checkpointSeq > headSeq) {
      return result({ seq: checkpointSeq.toString(), reason: 'checkpoint_mismatch' });
    }
    return result();
  }

  /** A page of events, newest first, after the cursor of the previous page. */
  async list(query: AuditQuery): Promise<AuditPage> {
    // One row more than the page tells whether another page follows.
    const rows = await this.repository.search(
      {
        beforeSeq: query.cursor === undefined ? undefined : decodeAuditCursor(query.cursor),
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
    return { events, nextCursor: more ? encodeAuditCursor(events[events.length - 1].seq) : null };
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
