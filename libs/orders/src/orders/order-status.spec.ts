import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES } from './order.entity.js';
import { canTransition } from './order-status.js';

describe('canTransition', () => {
  it('allows exactly placed -> paid -> shipped -> delivered and cancelling before shipping', () => {
    const allowed = ORDER_STATUSES.flatMap((from) =>
      ORDER_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      ['paid->cancelled', 'paid->shipped', 'placed->cancelled', 'placed->paid', 'shipped->delivered'].sort(),
    );
  });

  it('never stays in place, skips a step or leaves a final status', () => {
    for (const status of ORDER_STATUSES) expect(canTransition(status, status)).toBe(false);
    expect(canTransition('placed', 'shipped')).toBe(false);
    expect(canTransition('shipped', 'cancelled')).toBe(false);
    for (const to of ORDER_STATUSES) {
      expect(canTransition('delivered', to)).toBe(false);
      expect(canTransition('cancelled', to)).toBe(false);
    }
  });
});
