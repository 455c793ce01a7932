import { EmbeddedDatabase } from '@orderops/core';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { makeTempDir, type TestDatabase } from './test-database.js';

export type ProxyTarget = { host: string; port: number } | { path: string };

interface Relay {
  readonly client: Socket;
  readonly upstream?: Socket;
  /** Black-holed: bytes are dropped both ways and a close on one side no longer travels. */
  silenced: boolean;
}

/**
 * A TCP relay between the app and its database that a test can cut (the database "goes
 * down"), restore, slow down, or black-hole (the peer vanishes without a FIN: nothing is
 * answered, nothing is closed), without touching the database itself.
 */
export class TcpProxy {
  private readonly relays = new Set<Relay>();
  private refusing = false;
  private swallowingNew = false;
  /** Delay applied to every chunk coming back from the database. */
  latencyMs = 0;

  private readonly server: Server;

  private constructor(private readonly target: ProxyTarget) {
    this.server = createServer((client) => this.relay(client));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Connections currently relayed or held (black-holed ones included). */
  get connections(): number {
    return this.relays.size;
  }

  /** The local ports of the upstream sockets: how the database server sees these clients. */
  get upstreamPorts(): number[] {
    return [...this.relays].flatMap((r) => (r.upstream?.localPort ? [r.upstream.localPort] : []));
  }

  static async start(target: ProxyTarget): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  private relay(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    if (this.swallowingNew) {
      // Accepted, then never answered: what a client sees of a host that dropped off the net.
      const held: Relay = { client, silenced: true };
      this.relays.add(held);
      client.on('error', () => undefined);
      return;
    }
    const target = this.target;
    const upstream =
      'path' in target ? createConnection(target.path) : createConnection(target.port, target.host);
    const relay: Relay = { client, upstream, silenced: false };
    this.relays.add(relay);
    const drop = (): void => {
      if (relay.silenced) return;
      client.destroy();
      upstream.destroy();
      this.relays.delete(relay);
    };
    client.on('data', (chunk) => {
      if (!relay.silenced) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (relay.silenced) return;
      if (this.latencyMs === 0) client.write(chunk);
      else setTimeout(() => client.writable && !relay.silenced && client.write(chunk), this.latencyMs);
    });
    client.on('close', drop).on('error', drop);
    upstream.on('close', drop).on('error', drop);
  }

  /** Drops every open connection and refuses new ones. */
  cut(): void {
    this.refusing = true;
    for (const { client, upstream } of this.relays) {
      client.destroy();
      upstream?.destroy();
    }
    this.relays.clear();
  }

  /**
   * Every open connection goes silent, in both directions, and stays open on both ends: the
   * database never learns that its client left, the client never gets another byte.
   * `newConnections: 'pass'` relays connections made from now on as usual (the path to the
   * database healed, the old sockets did not); `'swallow'` holds them silent too.
   */
  blackHole(options: { newConnections: 'pass' | 'swallow' }): void {
    for (const relay of this.relays) relay.silenced = true;
    this.swallowingNew = options.newConnections === 'swallow';
  }

  /** New connections are relayed again; connections black-holed before stay so. */
  restore(): void {
    this.refusing = false;
    this.swallowingNew = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface ProxiedDatabase {
  readonly proxy: TcpProxy;
  /** Settings that point an app at the database through the proxy. */
  readonly env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * The suite's database reachable only through a TcpProxy, so a test can take it away: an
 * in-test embedded PGlite served on its socket, or the PostgreSQL server (its TLS still
 * verified: the CI certificate names 127.0.0.1).
 */
export async function databaseBehindProxy(db: TestDatabase): Promise<ProxiedDatabase> {
  if (db.kind === 'embedded') {
    const embedded = await EmbeddedDatabase.start(db.env.ORDEROPS_DATA_DIR, 8);
    const proxy = await TcpProxy.start({
      path: `${embedded.connection.socketDir}/.s.PGSQL.${embedded.connection.port}`,
    });
    return {
      proxy,
      env: {
        ORDEROPS_DATA_DIR: makeTempDir(),
        DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
      },
      dispose: async () => {
        await proxy.stop();
        await embedded.stop();
      },
    };
  }
  const proxy = await TcpProxy.start(db.tcpTarget!);
  const url = new URL(db.env.DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, env: { ...db.env, DATABASE_URL: url.toString() }, dispose: () => proxy.stop() };
}
