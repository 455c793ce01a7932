import { describe, expect, it } from 'vitest';
import { monotonicFactory, ulid } from 'ulid';
import { pooledRandom } from './random-pool.js';

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
