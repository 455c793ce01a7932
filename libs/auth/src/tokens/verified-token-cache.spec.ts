import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from './verified-token-cache.js';

const header = { alg: 'ES256', typ: 'at+jwt', kid: 'k1' } as const;

function cacheAt(nowMs: number, size = 3) {
  const clock = { now: nowMs };
  return { clock, cache: new VerifiedTokenCache(size, () => clock.now) };
}

describe('VerifiedTokenCache', () => {
  it('returns what was remembered for the exact token string only', () => {
    const { cache } = cacheAt(1_000_000);
    cache.remember('a.b.c', { header, payload: { sub: 's', exp: 2_000 } });
    expect(cache.get('a.b.c')?.payload).toEqual({ sub: 's', exp: 2_000 });
    expect(cache.get('a.b.C')).toBeUndefined();
    expect(cache.get('a.b.c ')).toBeUndefined();
  });

  it('ends an entry at the token exp, with no leeway', () => {
    const { clock, cache } = cacheAt(1_000_000);
    cache.remember('t', { header, payload: { exp: 1_010 } });
    clock.now = 1_009_999;
    expect(cache.get('t')).toBeDefined();
    clock.now = 1_010_000;
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps no token that has expired already or carries no numeric exp', () => {
    const { cache } = cacheAt(1_000_000);
    cache.remember('old', { header, payload: { exp: 999 } });
    cache.remember('none', { header, payload: {} });
    cache.remember('text', { header, payload: { exp: '9999999999' } });
    expect(cache.size).toBe(0);
  });

  it('holds at most its size, dropping the oldest entry first', () => {
    const { cache } = cacheAt(0);
    for (const token of ['t1', 't2', 't3', 't4']) cache.remember(token, { header, payload: { exp: 60 } });
    expect(cache.size).toBe(3);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t4')).toBeDefined();
  });

  it('hands out frozen copies that callers cannot alter for the next request', () => {
    const { cache } = cacheAt(0);
    const payload: Record<string, unknown> = { scope: 'orders:read', exp: 60 };
    cache.remember('t', { header, payload });
    payload.scope = 'admin';
    const cached = cache.get('t')!;
    expect(cached.payload.scope).toBe('orders:read');
    expect(Object.isFrozen(cached.payload)).toBe(true);
  });
});
