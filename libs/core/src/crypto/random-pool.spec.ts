import { describe, expect, it } from 'vitest';
import { monotonicFactory, ulid } from 'ulid';
import { pooledRandom, RandomPool } from './random-pool.js';

describe('pooledRandom', () => {
  it('stays in [0, 1) across pool refills and covers the range', () => {
    const random = pooledRandom();
    const values = Array.from({ length: 20_000 }, () => random());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.min(...values)).toBeLessThan(0.01);
    expect(Math.max(...values)).toBeGreaterThan(0.99);
  });

  it('gives valid, distinct ULIDs (plain and monotonic)', () => {
    const random = pooledRandom();
    const next = monotonicFactory(random);
    const ids = [
      ...Array.from({ length: 5000 }, () => ulid(undefined, random)),
      ...Array.from({ length: 5000 }, () => next()),
    ];
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('RandomPool', () => {
  it('hands out fresh, distinct bytes of the size asked, across refills', () => {
    const pool = new RandomPool();
    const ivs = Array.from({ length: 2000 }, () => pool.take(12));
    expect(ivs.every((iv) => iv.length === 12)).toBe(true);
    expect(new Set(ivs.map((iv) => iv.toString('hex'))).size).toBe(ivs.length);
    expect(pool.take(5000)).toHaveLength(5000); // larger than the pool: straight from the system
  });

  it('gives each caller a buffer of its own and zeroes the bytes it handed out', () => {
    const pool = new RandomPool();
    const key = pool.take(32);
    const copy = Buffer.from(key);
    pool.take(32);
    expect(key.equals(copy)).toBe(true); // later draws do not touch an earlier one
    expect(key.buffer).not.toBe(pool.take(32).buffer);
    // The pool's copy of what it gave out is zero: key material is not kept behind.
    const internal = (pool as unknown as { pool: Buffer }).pool;
    expect(internal.subarray(0, 96).every((byte) => byte === 0)).toBe(true);
  });
});
