import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLockedError } from '../errors/core.errors.js';

const LOCK_FILE = 'orderops.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it still holds the lock.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a lock file says: the holder's pid and, on the second line, the socket it serves. */
export interface LockHolder {
  readonly pid: number;
  readonly socketPath: string | undefined;
}

function readHolder(file: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const [pidLine = '', socketLine = ''] = text.split('\n');
  const pid = Number.parseInt(pidLine, 10);
  return { pid, socketPath: socketLine.trim() === '' ? undefined : socketLine.trim() };
}

/**
 * An exclusive, process-wide claim on a data directory: the embedded PostgreSQL files must
 * never be opened by two processes at once. The lock file is created with O_EXCL and holds
 * the owner's pid, then the path of the unix socket the owner serves the database on (so
 * that a second process, the CLI beside the API, can connect instead of opening the files);
 * a lock left by a dead process is taken over.
 */
export class DataDirLock {
  private released = false;
  private readonly releaseOnExit = (): void => this.release();

  private constructor(private readonly file: string) {
    process.once('exit', this.releaseOnExit);
  }

  static acquire(dataDir: string, socketPath: string): DataDirLock {
    const file = join(dataDir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n${socketPath}\n`);
        closeSync(fd);
        return new DataDirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(file);
      if (holder && Number.isInteger(holder.pid) && holder.pid > 0 && isAlive(holder.pid))
        throw new DataDirLockedError(dataDir, holder.pid);
      rmSync(file, { force: true });
    }
    throw new DataDirLockedError(dataDir, readHolder(file)?.pid ?? Number.NaN);
  }

  /** The live process holding the data directory, if any (a stale lock names none). */
  static holder(dataDir: string): LockHolder | undefined {
    const holder = readHolder(join(dataDir, LOCK_FILE));
    if (!holder || !Number.isInteger(holder.pid) || holder.pid <= 0 || !isAlive(holder.pid)) return undefined;
    return holder;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.releaseOnExit);
    rmSync(this.file, { force: true });
  }
}
