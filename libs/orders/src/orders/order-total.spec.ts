import { describe, expect, it } from 'vitest';
import { formatMinorUnits, normalizedPrice, orderTotal } from './order-total.js';

describe('orderTotal', () => {
  it('sums unit price x quantity exactly, where floating point would not', () => {
    // 0.1 + 0.2 in doubles is 0.30000000000000004; 3 x 19.99 is 59.97 only in integers.
    expect(
      orderTotal(
        [
          { unitPrice: '0.1', quantity: 1 },
          { unitPrice: '0.2', quantity: 1 },
        ],
        'EUR',
      ),
    ).toBe('0.30');
    expect(orderTotal([{ unitPrice: '19.99', quantity: 3 }], 'EUR')).toBe('59.97');
    expect(0.1 + 0.2).not.toBe(0.3);
  });

  it('prints two decimals like NUMERIC(16,2): whole and one-decimal prices included', () => {
    expect(orderTotal([{ unitPrice: '5', quantity: 2 }], 'EUR')).toBe('10.00');
    expect(orderTotal([{ unitPrice: '0.5', quantity: 1 }], 'EUR')).toBe('0.50');
    expect(orderTotal([{ unitPrice: '0.01', quantity: 7 }], 'EUR')).toBe('0.07');
  });

  it('is exact at the largest order the validators allow (100 items x 10,000 x 1,000,000.00)', () => {
    const items = Array.from({ length: 100 }, () => ({ unitPrice: '1000000.00', quantity: 10_000 }));
    expect(orderTotal(items, 'EUR')).toBe('1000000000000.00');
    const odd = [...items.slice(1), { unitPrice: '999999.99', quantity: 9_999 }];
    // 99 x 10,000 x 1,000,000.00 + 9,999 x 999,999.99, worked out by hand.
    expect(orderTotal(odd, 'EUR')).toBe('999998999900.01');
  });

  it('is zero for no items', () => {
    expect(orderTotal([], 'EUR')).toBe('0.00');
  });

  it('refuses a price or quantity the validators would have refused', () => {
    expect(() => orderTotal([{ unitPrice: '1.001', quantity: 1 }], 'EUR')).toThrow(/unvalidated price/);
    expect(() => orderTotal([{ unitPrice: '1e3', quantity: 1 }], 'EUR')).toThrow(/unvalidated price/);
    expect(() => orderTotal([{ unitPrice: '1.00', quantity: 1.5 }], 'EUR')).toThrow(/unvalidated quantity/);
  });
});

describe('formatMinorUnits', () => {
  it('pads the minor units to the currency’s decimals', () => {
    expect(formatMinorUnits(0n, 2)).toBe('0.00');
    expect(formatMinorUnits(5n, 2)).toBe('0.05');
    expect(formatMinorUnits(123456n, 2)).toBe('1234.56');
    expect(formatMinorUnits(5n, 3)).toBe('0.005');
    expect(formatMinorUnits(1500n, 0)).toBe('1500');
  });

  it('works in the currency’s minor units: none for JPY and KRW, 3 for KWD, BHD, JOD, OMR, TND', () => {
    expect(orderTotal([{ unitPrice: '1500', quantity: 3 }], 'JPY')).toBe('4500');
    expect(orderTotal([{ unitPrice: '990', quantity: 1 }], 'KRW')).toBe('990');
    expect(orderTotal([{ unitPrice: '1.125', quantity: 3 }], 'KWD')).toBe('3.375');
    expect(orderTotal([{ unitPrice: '0.5', quantity: 1 }], 'TND')).toBe('0.500');
    expect(() => orderTotal([{ unitPrice: '1.5', quantity: 1 }], 'JPY')).toThrow(/unvalidated price/);
    expect(() => orderTotal([{ unitPrice: '1.001', quantity: 1 }], 'USD')).toThrow(/unvalidated price/);
  });

  it('stores prices with their currency’s decimals', () => {
    expect(normalizedPrice('1.5', 'EUR')).toBe('1.50');
    expect(normalizedPrice('1000', 'JPY')).toBe('1000');
    expect(normalizedPrice('2.5', 'BHD')).toBe('2.500');
    expect(() => normalizedPrice('2.5', 'KRW')).toThrow(/unvalidated price/);
  });
});
