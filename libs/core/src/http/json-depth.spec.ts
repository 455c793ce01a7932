import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './json-depth.js';

const arrays = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

describe('nestsDeeperThan', () => {
  it('counts arrays and objects alike, a scalar as depth 0', () => {
    expect(nestsDeeperThan('x', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan([], 0)).toBe(true);
    expect(nestsDeeperThan([], 1)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: {} }] }, 3)).toBe(true);
  });

  it('finds the one deep branch among shallow ones', () => {
    const value = { items: [1, 2, { x: 'y' }], deep: [0, arrays(31)] };
    expect(nestsDeeperThan(value, 32)).toBe(true);
    expect(nestsDeeperThan({ items: [1, 2, { x: 'y' }], deep: [0, arrays(30)] }, 32)).toBe(false);
  });

  it('answers for a value far deeper than the stack would allow to walk', () => {
    expect(nestsDeeperThan(arrays(200_000), 32)).toBe(true);
  });
});
