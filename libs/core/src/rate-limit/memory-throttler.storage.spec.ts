import { describe, expect, it } from 'vitest';
import { MemoryThrottlerStorage } from './memory-throttler.storage.js';

const MINUTE = 60_000;

function storageAt(start = 1_000_000) {
  const clock = { now: start };
  const storage = new MemoryThrottlerStorage(MINUTE, () => clock.now);
  const hit = (key = 'client-a', limit = 3, name = 'default') =>
    storage.increment(key, MINUTE, limit, MINUTE, name);
  return { clock, storage, hit };
}

describe('MemoryThrottlerStorage', () => {
  it('allows the limit, then blocks for the block duration with the time left', async () => {
    const { clock, hit } = storageAt();
    for (let i = 1; i <= 3; i++) expect(await hit()).toMatchObject({ totalHits: i, isBlocked: false });
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
    clock.now += 20_000;
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 40 });
    clock.now += 40_000;
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('counts hits in a sliding window: each frees its place a window after it was made', async () => {
    const { clock, hit } = storageAt();
    await hit();
    clock.now += 30_000;
    await hit();
    await hit();
    clock.now += 30_000; // the first hit has now expired, the other two have not
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false, timeToExpire: 30 });
    expect(await hit()).toMatchObject({ isBlocked: true });
  });

  it('keeps clients and throttlers apart', async () => {
    const { hit } = storageAt();
    for (let i = 0; i < 3; i++) await hit('client-a');
    expect(await hit('client-a')).toMatchObject({ isBlocked: true });
    expect(await hit('client-b')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await hit('client-a', 3, 'strict')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('stays exact across many hits at a high limit', async () => {
    const { clock, hit } = storageAt();
    for (let i = 0; i < 5_000; i++) {
      expect((await hit('busy', 1_000)).isBlocked).toBe(false);
      clock.now += 100; // 600 a minute: always under the limit, about 600 live
    }
    expect(await hit('busy', 1_000)).toMatchObject({ totalHits: 600, isBlocked: false });
  });

  it('forgets clients with nothing live once a sweep interval has passed', async () => {
    const { clock, storage, hit } = storageAt();
    await hit('client-a');
    await hit('client-b');
    expect(storage.size).toBe(2);
    clock.now += 2 * MINUTE;
    await hit('client-c');
    expect(storage.size).toBe(1);
  });
});

describe('MemoryThrottlerStorage.waitFor', () => {
  it('reports a full window without counting, and the time until its oldest hit expires', async () => {
    const { clock, storage, hit } = storageAt();
    expect(await storage.waitFor('client-a', 3, 'default')).toBe(0);
    await hit();
    clock.now += 10_000;
    await hit();
    await hit();
    expect(await storage.waitFor('client-a', 3, 'default')).toBe(50);
    expect(await storage.waitFor('client-a', 3, 'default')).toBe(50);
    expect(await storage.waitFor('client-a', 4, 'default')).toBe(0);
    clock.now += 50_000;
    expect(await storage.waitFor('client-a', 3, 'default')).toBe(0);
  });
});
