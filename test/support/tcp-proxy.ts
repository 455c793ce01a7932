import { EmbeddedDatabase } from '@orderops/core';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { makeTempDir, type TestDatabase } from './test-database.js';

export type ProxyTarget = { host: string; port: number } | { path: string };

/**
 * A TCP relay between the app and its database that a test can cut (the database "goes
 * down"), restore, or slow down, without touching the database itself.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  /** Delay applied to every chunk coming back from the database. */
  latencyMs = 0;

  private readonly server: Server;

  private constructor(target: ProxyTarget) {
    this.server = createServer((client) => this.relay(client, target));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  static async start(target: ProxyTarget): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  private relay(client: Socket, target: ProxyTarget): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream =
      'path' in target ? createConnection(target.path) : createConnection(target.port, target.host);
    this.sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (this.latencyMs === 0) client.write(chunk);
      else setTimeout(() => client.writable && client.write(chunk), this.latencyMs);
    });
    client.on('close', drop).on('error', drop);
    upstream.on('close', drop).on('error', drop);
  }

  /** Drops every open connection and refuses new ones. */
  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.refusing = false;
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
