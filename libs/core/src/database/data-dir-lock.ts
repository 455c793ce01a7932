import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLockedError } from '../errors/core.errors.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it still holds the lock.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive, process-wide claim on a data directory: the embedded PostgreSQL files must
 * never be opened by two processes at once. The lock file is created with O_EXCL and holds
 * the owner's pid; a lock left by a dead process is taken over.
 */
export class DataDirLock {
  private released = false;
  private readonly releaseOnExit = (): void => this.release();

  private constructor(private readonly file: string) {
    process.once('exit', this.releaseOnExit);
  }

  static acquire(dataDir: string): DataDirLock {
    const file = join(dataDir, 'orderops.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return new DataDirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder))
        throw new DataDirLockedError(dataDir, holder);
      rmSync(file, { force: true });
    }
    throw new DataDirLockedError(dataDir, Number.parseInt(readFileSync(file, 'utf8'), 10));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.releaseOnExit);
    rmSync(this.file, { force: true });
  }
}
