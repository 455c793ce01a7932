import pg from 'pg';

/** What a subscriber to a PostgreSQL notification channel is told. */
export interface NotificationHandlers {
  /** A notification arrived on the channel (a change was committed). */
  readonly onNotification: () => void;
  /**
   * Whether notifications are being received. False when the connection drops: anything
   * committed from then on may go unannounced until `true` again, which comes only after
   * LISTEN succeeded on a new connection.
   */
  readonly onListening: (listening: boolean) => void;
}

/** First wait before reconnecting after a lost connection; doubles up to the cap. */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/** Channel names are identifiers we choose; anything else is a programming error. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * One dedicated connection (outside the pool: a LISTEN holds its session) that LISTENs on a
 * channel and reconnects with backoff when it is lost. It never throws at its subscriber;
 * losing the connection is reported through `onListening(false)`.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RECONNECT_FIRST_MS;
  private closed = false;

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly channel: string,
    private readonly handlers: NotificationHandlers,
  ) {
    if (!CHANNEL.test(channel)) throw new TypeError(`not a channel name: ${channel}`);
  }

  /** Starts listening in the background; `onListening(true)` reports success. */
  start(): void {
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.connection);
    this.client = client;
    let lost = false;
    const onLost = (): void => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      this.handlers.onListening(false);
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.handlers.onNotification();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch {
      onLost();
      return;
    }
    if (lost || this.closed) return;
    this.retryMs = RECONNECT_FIRST_MS;
    this.handlers.onListening(true);
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    this.retryTimer = setTimeout(() => void this.connect(), wait);
    this.retryTimer.unref();
  }
}
