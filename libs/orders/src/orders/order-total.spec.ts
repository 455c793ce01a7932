import { describe, expect, it } from 'vitest';
import { formatCents, orderTotal } from './order-total.js';

describe('orderTotal', () => {
  it('sums unit price x quantity exactly, where floating point would not', () => {
    // 0.1 + 0.2 in doubles is 0.30000000000000004; 3 x 19.99 is 59.97 only in integers.
    expect(
      orderTotal([
        { unitPrice: '0.1', quantity: 1 },
        { unitPrice: '0.2', quantity: 1 },
      ]),
    ).toBe('0.30');
    expect(orderTotal([{ unitPrice: '19.99', quantity: 3 }])).toBe('59.97');
    expect(0.1 + 0.2).not.toBe(0.3);
  });

  it('prints two decimals like NUMERIC(16,2): whole and one-decimal prices included', () => {
    expect(orderTotal([{ unitPrice: '5', quantity: 2 }])).toBe('10.00');
    expect(orderTotal([{ unitPrice: '0.5', quantity: 1 }])).toBe('0.50');
    expect(orderTotal([{ unitPrice: '0.01', quantity: 7 }])).toBe('0.07');
  });

  it('is exact at the largest order the validators allow (100 items x 10,000 x 1,000,000.00)', () => {
    const items = Array.from({ length: 100 }, () => ({ unitPrice: '1000000.00', quantity: 10_000 }));
    expect(orderTotal(items)).toBe('1000000000000.00');
    const odd = [...items.slice(1), { unitPrice: '999999.99', quantity: 9_999 }];
    // 99 x 10,000 x 1,000,000.00 + 9,999 x 999,999.99, worked out by hand.
    expect(orderTotal(odd)).toBe('999998999900.01');
  });

  it('is zero for no items', () => {
    expect(orderTotal([])).toBe('0.00');
  });

  it('refuses a price or quantity the validators would have refused', () => {
    expect(() => orderTotal([{ unitPrice: '1.001', quantity: 1 }])).toThrow(/unvalidated price/);
    expect(() => orderTotal([{ unitPrice: '1e3', quantity: 1 }])).toThrow(/unvalidated price/);
    expect(() => orderTotal([{ unitPrice: '1.00', quantity: 1.5 }])).toThrow(/unvalidated quantity/);
  });
});

describe('formatCents', () => {
  it('pads the cents', () => {
    expect(formatCents(0n)).toBe('0.00');
    expect(formatCents(5n)).toBe('0.05');
    expect(formatCents(123456n)).toBe('1234.56');
  });
});
