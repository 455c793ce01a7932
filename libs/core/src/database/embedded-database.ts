import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLock } from './data-dir-lock.js';
import { SessionQueue } from './session-queue.js';

/** PostgreSQL's socket file name for a port; `pg` derives the same name from host + port. */
const SOCKET_PORT = 5432;
const SOCKET_FILE = `.s.PGSQL.${SOCKET_PORT}`;
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export interface EmbeddedConnection {
  /** The directory holding the socket file (pg's `host` for unix sockets). */
  readonly socketDir: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
}

/**
 * The zero-setup database: PGlite (PostgreSQL in WebAssembly) in this process, served by
 * pglite-socket on a unix socket inside the 0700 data directory so that the application
 * uses the ordinary `pg` driver and no other local user can connect (PGlite has no auth).
 */
export class EmbeddedDatabase {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lock: DataDirLock,
    readonly connection: EmbeddedConnection,
  ) {}

  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedDatabase> {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    const socketDir = join(dataDir, 'run');
    const socketPath = join(socketDir, SOCKET_FILE);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      throw new Error(`ORDEROPS_DATA_DIR is too long for a unix socket path (${socketPath.length} bytes)`);
    }
    const lock = DataDirLock.acquire(dataDir);
    try {
      mkdirSync(socketDir, { recursive: true, mode: 0o700 });
      // We hold the lock, so a socket file left here belongs to a process that died.
      rmSync(socketPath, { force: true });
      const db = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
      const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections });
      // Replace the message-by-message queue before any connection arrives (see SessionQueue).
      Reflect.set(server, 'queryQueue', new SessionQueue(db));
      await server.start();
      return new EmbeddedDatabase(db, server, lock, {
        socketDir,
        port: SOCKET_PORT,
        user: 'postgres',
        database: 'postgres',
      });
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Stops serving clients, flushes and closes PGlite, then frees the data directory. */
  async stop(): Promise<void> {
    try {
      await this.server.stop();
      if (!this.db.closed) await this.db.close();
    } finally {
      this.lock.release();
    }
  }
}
