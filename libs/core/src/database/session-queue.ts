import type { PGlite } from '@electric-sql/pglite';

/** Frontend message types (PostgreSQL protocol) after which a connection may hand over. */
const SIMPLE_QUERY = 0x51; // 'Q'
const SYNC = 0x53; // 'S'
const TERMINATE = 0x58; // 'X'
const PROTOCOL_V3 = 196_608;

interface QueuedMessage {
  readonly handlerId: number;
  readonly message: Uint8Array;
  readonly onData: (data: Uint8Array) => void;
  readonly resolve: (bytes: number) => void;
  readonly reject: (error: unknown) => void;
}

function isStartup(message: Uint8Array): boolean {
  return (
    message.length >= 8 && Buffer.from(message.buffer, message.byteOffset, 8).readInt32BE(4) === PROTOCOL_V3
  );
}

/**
 * Multiplexes many client connections onto PGlite's single session, correctly.
 *
 * pglite-socket's own queue interleaves connections message by message, and keeps one
 * connection exclusive only inside an explicit transaction. The extended query protocol
 * (Parse, Bind, Describe, Execute, Sync) keeps state in the session's unnamed statement and
 * portal between messages, so two connections running parameterised queries at once
 * overwrite each other's ("unnamed prepared statement does not exist", wrong parameters).
 *
 * Here a connection owns the session from its first message until the server is idle
 * again: after a Sync or simple Query with no transaction open (or its startup, or its
 * departure). Other connections wait their turn; messages keep their order.
 */
export class SessionQueue {
  private queue: QueuedMessage[] = [];
  private owner: number | null = null;
  private pumping = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    const dropped = this.queue.filter((item) => item.handlerId === handlerId);
    this.queue = this.queue.filter((item) => item.handlerId !== handlerId);
    for (const item of dropped) item.reject(new Error('connection closed'));
  }

  /** A connection went away: undo its open transaction and let the others in. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    void this.pump();
  }

  private next(): QueuedMessage | undefined {
    const index = this.owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === this.owner);
    return index < 0 ? undefined : this.queue.splice(index, 1)[0];
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let item = this.next(); item !== undefined; item = this.next()) {
        this.owner = item.handlerId;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (error) {
          item.reject(error);
        }
        const type = item.message[0];
        const handsOver =
          type === SIMPLE_QUERY || type === SYNC || type === TERMINATE || isStartup(item.message);
        if (handsOver && !this.db.isInTransaction()) this.owner = null;
      }
    } finally {
      this.pumping = false;
    }
  }
}
