import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../errors/core.errors.js';
import { DataDirLock } from './data-dir-lock.js';

const SOCKET = '/data/run/.s.PGSQL.5432';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orderops-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DataDirLock', () => {
  it('refuses a second holder while the first holds it, and frees on release', () => {
    const lock = DataDirLock.acquire(dir, SOCKET);
    expect(() => DataDirLock.acquire(dir, SOCKET)).toThrow(DataDirLockedError);
    lock.release();
    expect(existsSync(join(dir, 'orderops.lock'))).toBe(false);
    DataDirLock.acquire(dir, SOCKET).release();
  });

  it('names the socket it serves, for a second process to connect to', () => {
    expect(DataDirLock.holder(dir)).toBeUndefined();
    const lock = DataDirLock.acquire(dir, SOCKET);
    expect(DataDirLock.holder(dir)).toEqual({ pid: process.pid, socketPath: SOCKET });
    lock.release();
    expect(DataDirLock.holder(dir)).toBeUndefined();
  });

  it('names no holder for a lock left by a dead process', () => {
    writeFileSync(join(dir, 'orderops.lock'), `4194305\n${SOCKET}\n`);
    expect(DataDirLock.holder(dir)).toBeUndefined();
  });

  it('names the holding process in the refusal', () => {
    const lock = DataDirLock.acquire(dir, SOCKET);
    expect(() => DataDirLock.acquire(dir, SOCKET)).toThrow(`in use by process ${process.pid}`);
    lock.release();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    // Pid 2^22+1 is above Linux's pid_max default range, so it names no live process.
    writeFileSync(join(dir, 'orderops.lock'), '4194305\n');
    const lock = DataDirLock.acquire(dir, SOCKET);
    lock.release();
  });

  it('treats a lock held by a live process as held', () => {
    writeFileSync(join(dir, 'orderops.lock'), '1\n');
    expect(() => DataDirLock.acquire(dir, SOCKET)).toThrow(DataDirLockedError);
  });
});
