import type { CustomerBatchResolver } from '@orderops/pii';
import { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import type { OrderDraft, OrderPlacementService } from '../orders/order-placement.service.js';
import { ImportTally } from './import-report.js';
import { ImportRun } from './import-run.js';

// The schedule of ImportRun's two write stages, watched through a writer whose every call
// waits until the test lets it finish. The database itself is covered by the import suites.

const HEADER = 'product,price,quantity,currency,customer_name,customer_email';
/** Rows 1..n, each its own order with a customer of its own: 2,000 rows make a batch. */
const file = (rows: number): Readable =>
  Readable.from(
    [HEADER, ...Array.from({ length: rows }, (_, i) => `Lamp,12.50,1,EUR,Person ${i},p${i}@example.com`)]
      .join('\n')
      .concat('\n'),
  );

interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}
const gate = (): Gate => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

/** Records `resolve:N start/end` and `place:N start/end`; each call ends when its gate opens. */
class ScheduleWriter {
  readonly events: string[] = [];
  readonly resolveGates: Gate[] = [];
  readonly placeGates: Gate[] = [];
  readonly placed: number[] = [];
  /** Set: resolve calls finish at once. */
  autoResolve = false;
  private resolves = 0;
  private places = 0;
  private readonly waiters: { event: string; reached: () => void }[] = [];

  readonly customers = {
    resolve: async (details: readonly { email: string }[]): Promise<string[]> => {
      const n = ++this.resolves;
      const g = gate();
      this.resolveGates[n] = g;
      this.log(`resolve:${n} start`);
      if (!this.autoResolve) await g.opened;
      this.log(`resolve:${n} end`);
      return details.map((d) => `CUS-${d.email}`);
    },
  } as unknown as CustomerBatchResolver;

  readonly placement = {
    takenExternalRefs: (): Promise<Set<string>> => Promise.resolve(new Set<string>()),
    place: async (_manager: EntityManager, _placer: unknown, drafts: readonly OrderDraft[]) => {
      const n = ++this.places;
      const g = gate();
      this.placeGates[n] = g;
      this.log(`place:${n} start`);
      await g.opened;
      this.placed.push(drafts.length);
      this.log(`place:${n} end`);
      return drafts.map((d, i) => ({ ...d, id: `ORD-${n}-${i}`, total: '12.50' }));
    },
  } as unknown as OrderPlacementService;

  /** Resolves once `event` has been logged (at once if it already was). */
  reached(event: string): Promise<void> {
    if (this.events.includes(event)) return Promise.resolve();
    return new Promise((reached) => this.waiters.push({ event, reached }));
  }

  private log(event: string): void {
    this.events.push(event);
    for (const w of this.waiters.filter((x) => x.event === event)) w.reached();
  }
}

const run = (writer: ScheduleWriter, rows: number): { tally: ImportTally; done: Promise<void> } => {
  const tally = new ImportTally();
  const importRun = new ImportRun(tally, {
    placer: { createdBy: 'operator:o', owner: 'operator:o', actor: { type: 'operator', id: 'o' } },
    strict: false,
    maxBytes: 10 * 1024 * 1024,
    defaultCurrency: 'EUR',
  });
  const done = importRun.execute(file(rows), {} as EntityManager, writer.customers, writer.placement);
  return { tally, done };
};

describe('ImportRun: two write stages, one batch in each, in file order', () => {
  it("resolves a batch's customers while the previous batch's orders are being written", async () => {
    const writer = new ScheduleWriter();
    const { tally, done } = run(writer, 5_000);

    await writer.reached('resolve:1 start');
    writer.resolveGates[1].open();
    await writer.reached('place:1 start');
    // Batch 1's orders are still being written, and batch 2's customers are already asked for.
    await writer.reached('resolve:2 start');
    expect(writer.events).not.toContain('place:1 end');

    writer.resolveGates[2].open();
    await writer.reached('resolve:2 end');
    // Batch 3's customers wait for batch 2's stage to finish, which it has; but batch 2's
    // orders wait for batch 1's: never two batches writing orders at once.
    await new Promise((r) => setTimeout(r, 20));
    expect(writer.events).not.toContain('place:2 start');

    writer.placeGates[1].open();
    await writer.reached('place:2 start');
    await writer.reached('resolve:3 start');
    writer.resolveGates[3].open();
    writer.placeGates[2].open();
    await writer.reached('place:3 start');
    writer.placeGates[3].open();
    await done;

    expect(writer.placed).toEqual([2_000, 2_000, 1_000]);
    expect(tally.orders).toBe(5_000);
    const order = (event: string): number => writer.events.indexOf(event);
    expect(order('resolve:2 start')).toBeGreaterThan(order('resolve:1 end'));
    expect(order('resolve:3 start')).toBeGreaterThan(order('resolve:2 end'));
    expect(order('place:2 start')).toBeGreaterThan(order('place:1 end'));
    expect(order('place:3 start')).toBeGreaterThan(order('place:2 end'));
  });

  it('stops at the first failed write and leaves no stage running when it throws', async () => {
    const writer = new ScheduleWriter();
    writer.autoResolve = true;
    writer.placement.place = () => {
      writer.events.push('place failed');
      return Promise.reject(new Error('the database went away'));
    };
    await expect(run(writer, 9_000).done).rejects.toThrow('the database went away');
    // Batch 1 failed; at most batch 2, already under way, was resolved: of 5 batches, none later.
    expect(writer.events.filter((e) => e === 'place failed')).toHaveLength(1);
    const resolved = writer.events.filter((e) => e.startsWith('resolve:') && e.endsWith('start'));
    expect(resolved.length).toBeLessThanOrEqual(2);
    expect(writer.events.filter((e) => e.startsWith('resolve:') && e.endsWith('end'))).toHaveLength(
      resolved.length,
    );
  });
});

describe('ImportRun: the event loop between batches', () => {
  it('lets I/O callbacks run while a batch is parsed, not only once it is full', async () => {
    // A file already in memory parses without ever waiting on a read; the database's
    // answers to the batches in flight must not wait for a whole batch to be parsed.
    const writer = new ScheduleWriter();
    writer.autoResolve = true;
    const { tally, done } = run(writer, 1_999);
    let rowsWhenCalledBack = -1;
    setImmediate(() => (rowsWhenCalledBack = tally.rows));
    await writer.reached('place:1 start');
    writer.placeGates[1].open();
    await done;
    expect(tally.rows).toBe(1_999);
    expect(rowsWhenCalledBack).toBeGreaterThanOrEqual(0);
    expect(rowsWhenCalledBack).toBeLessThan(500);
  });
});
