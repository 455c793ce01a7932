import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { inSpan, Metrics, runUntraced } from '@orderops/core';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditRepository, type AuditTreeHeadRow } from './audit.repository.js';
import { extendTree } from './merkle/merkle.js';
import { frontierOf, fromHex, toHex } from './audit-tree-store.js';

/** Events integrated per transaction: bounds the lock's hold time and the batch's memory. */
export const SEQUENCE_BATCH = 2000;
/** How often a replica looks for committed, unsequenced events when the last look found none. */
const POLL_INTERVAL_MS = 100;
/** After a failed batch (database down), wait this long before the next try. */
const RETRY_INTERVAL_MS = 1000;
/** A failure is logged at most this often: an outage must not flood the log. */
const FAILURE_LOG_INTERVAL_MS = 30_000;

interface IntegratedBatch {
  readonly count: number;
  /** The log's size after the batch (undefined when another sequencer held the lock). */
  readonly size?: bigint;
  /** When each newly sequenced event was recorded (chained events carried over: none). */
  readonly recordedAt: readonly Date[];
  /** When the batch ran, ms since the epoch. */
  readonly at: number;
}

/**
 * Integrates committed events into the Merkle log: gives each a gap-free `seq`, extends the
 * tree with their leaf hashes, stores the new perfect-subtree nodes and a tree head, all in
 * one transaction. Every API replica runs it; the database's advisory lock lets exactly one
 * sequence at a time (the others find the lock taken and skip), and a sequencer that dies
 * releases it with its transaction, so another takes over on its next poll.
 */
@Injectable()
export class AuditSequencer implements OnModuleDestroy {
  private readonly logger = new Logger('AuditSequencer');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;
  private lastFailureLog = 0;
  private size?: bigint;
  private readonly lag: (seconds: number) => void;
  private readonly sequenced: (by?: number) => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
    metrics: Metrics,
  ) {
    this.lag = metrics.histogram(
      'orderops_audit_sequencing_lag_seconds',
      'Time from an audit event being recorded to its integration into the Merkle log.',
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.sequenced = metrics.counter(
      'orderops_audit_sequenced_total',
      'Audit events given a seq and integrated into the Merkle log by this replica.',
    );
  }

  /** The log's size as this process last sequenced or found it; undefined before its first batch. */
  knownSize(): number | undefined {
    return this.size === undefined ? undefined : Number(this.size);
  }

  /** Starts polling (the API does; the CLI sequences only when a command asks). */
  start(): void {
    if (this.timer === undefined) this.schedule(POLL_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      // An idle log costs one index probe per poll, not a transaction; the first poll of a
      // process always runs a batch (it also integrates events carried over by a migration).
      // The probe makes no span: ten root traces a second of nothing would bury the requests'.
      if (this.size !== undefined && !(await runUntraced(() => this.repository.hasUnsequenced()))) {
        this.schedule(POLL_INTERVAL_MS);
        return;
      }
      const count = await this.sequenceBatch();
      this.schedule(count === SEQUENCE_BATCH ? 0 : POLL_INTERVAL_MS);
    } catch (error) {
      const now = Date.now();
      if (now - this.lastFailureLog >= FAILURE_LOG_INTERVAL_MS) {
        this.lastFailureLog = now;
        this.logger.warn(`audit sequencing failed, retrying: ${(error as Error).message}`);
      }
      this.schedule(RETRY_INTERVAL_MS);
    }
  }

  /**
   * Integrates every event committed so far (batch after batch), unless another sequencer
   * holds the lock. Returns how many this call integrated.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.sequenceBatch();
      total += count;
      if (count < SEQUENCE_BATCH) return total;
    }
  }

  /** One batch; batches of one process never overlap (the embedded database has one session). */
  sequenceBatch(): Promise<number> {
    const previous = this.running ?? Promise.resolve(0);
    const next = previous
      .catch(() => 0)
      .then(() => inSpan('audit.sequence', {}, () => this.dataSource.transaction((m) => this.integrate(m))))
      .then((batch) => {
        // Counted once the batch committed.
        if (batch.size !== undefined) this.size = batch.size;
        for (const recorded of batch.recordedAt) this.lag(Math.max(0, batch.at - recorded.getTime()) / 1000);
        this.sequenced(batch.count);
        return batch.count;
      });
    this.running = next;
    return next;
  }

  private async integrate(manager: EntityManager): Promise<IntegratedBatch> {
    const none: IntegratedBatch = { count: 0, recordedAt: [], at: 0 };
    if (!(await this.repository.tryLockSequencer(manager))) return none;
    const head = await this.repository.latestTreeHead(manager);
    const size = BigInt(head?.treeSize ?? '0');
    const maxSeq = BigInt(await this.repository.maxSeq(manager));
    let leaves: string[];
    let recordedAt: Date[] = [];
    if (maxSeq > size) {
      // Events that already have a seq but are not in the tree: the chained events carried
      // over by the migration. They go in first, in seq order.
      const upTo = maxSeq < size + BigInt(SEQUENCE_BATCH) ? maxSeq : size + BigInt(SEQUENCE_BATCH);
      leaves = await this.repository.leafHashes((size + 1n).toString(), upTo.toString(), manager);
      if (BigInt(leaves.length) !== upTo - size) {
        throw new Error(`audit log has a gap between seq ${size + 1n} and ${upTo}`);
      }
    } else {
      const pending = await this.repository.unsequenced(SEQUENCE_BATCH, manager);
      if (pending.length === 0) return { ...none, size };
      await this.repository.assignSeqs(
        pending.map((p) => p.arrival),
        pending.map((_, i) => (size + BigInt(i) + 1n).toString()),
        manager,
      );
      leaves = pending.map((p) => p.leafHash);
      recordedAt = pending.map((p) => p.at);
    }
    const frontier = await frontierOf(this.repository, size, manager);
    const grown = extendTree(size, frontier, leaves.map(fromHex));
    await this.repository.insertNodes(
      grown.nodes.map((n) => ({ level: n.level, index: n.index.toString(), hash: toHex(n.hash) })),
      manager,
    );
    const at = new Date();
    const newHead: AuditTreeHeadRow = { treeSize: grown.size.toString(), rootHash: toHex(grown.root), at };
    await this.repository.insertTreeHead(newHead, manager);
    return { count: leaves.length, size: grown.size, recordedAt, at: at.getTime() };
  }
}
