import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../errors/core.errors.js';
import { DataDirLock } from './data-dir-lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orderops-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DataDirLock', () => {
  it('refuses a second holder while the first holds it, and frees on release', () => {
    const lock = DataDirLock.acquire(dir);
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirLockedError);
    lock.release();
    expect(existsSync(join(dir, 'orderops.lock'))).toBe(false);
    DataDirLock.acquire(dir).release();
  });

  it('names the holding process in the refusal', () => {
    const lock = DataDirLock.acquire(dir);
    expect(() => DataDirLock.acquire(dir)).toThrow(`in use by process ${process.pid}`);
    lock.release();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    // Pid 2^22+1 is above Linux's pid_max default range, so it names no live process.
    writeFileSync(join(dir, 'orderops.lock'), '4194305\n');
    const lock = DataDirLock.acquire(dir);
    lock.release();
  });

  it('treats a lock held by a live process as held', () => {
    writeFileSync(join(dir, 'orderops.lock'), '1\n');
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirLockedError);
  });
});
