import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DataDirLockedError, RunningInstanceUnreachableError } from '../errors/core.errors.js';
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

/** A connection to the embedded database another process (the running API) serves. */
export interface RunningInstanceConnection extends EmbeddedConnection {
  readonly holderPid: number;
}

/**
 * Why a socket directory is not safe to trust, or undefined when it is: ours, a real
 * directory (not a link), closed to group and others. PGlite has no authentication, so the
 * directory's permissions are the only thing keeping other local users out.
 */
function unsafeSocketDir(socketDir: string): string | undefined {
  const dir = lstatSync(socketDir, { throwIfNoEntry: false });
  if (!dir) return 'directory does not exist';
  if (!dir.isDirectory()) return 'directory is not a directory';
  if (typeof process.getuid === 'function' && dir.uid !== process.getuid())
    return 'directory belongs to another user';
  if ((dir.mode & 0o077) !== 0) return 'directory is open to other users';
  return undefined;
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
    const lock = DataDirLock.acquire(dataDir, socketPath);
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

  /**
   * For a process that finds the data directory locked: the socket the holder names in
   * its lock file, checked to be the one inside its 0700 data directory (never a path
   * elsewhere, never TCP). Throws the original DataDirLockedError when no live holder
   * names a socket (an older version holds it), and RunningInstanceUnreachableError when
   * the socket is not there or not safely ours.
   */
  static runningInstance(dataDir: string, locked: DataDirLockedError): RunningInstanceConnection {
    const holder = DataDirLock.holder(dataDir);
    if (!holder?.socketPath) throw locked;
    const socketDir = join(resolve(dataDir), 'run');
    const named = resolve(holder.socketPath);
    const unreachable = (reason: string): RunningInstanceUnreachableError =>
      new RunningInstanceUnreachableError(dataDir, holder.pid, reason);
    if (named !== join(socketDir, SOCKET_FILE))
      throw unreachable(`${named} is not the one inside the data directory`);
    const unsafe = unsafeSocketDir(socketDir);
    if (unsafe) throw unreachable(unsafe);
    if (!lstatSync(named, { throwIfNoEntry: false })?.isSocket())
      throw unreachable('is not open yet (the process is starting or stopping); retry in a moment');
    return { socketDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres', holderPid: holder.pid };
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
