import { describe, expect, it } from 'vitest';
import { isPositiveMoney, toMinorUnits } from './money.validator.js';

/** The definition, in bigint arithmetic throughout. */
function minorUnitsByDefinition(value: string, digits: number): bigint {
  const [whole, fraction = ''] = value.split('.');
  return BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
}

describe('toMinorUnits', () => {
  it('is exact for every shape of price and every number of decimals', () => {
    const prices = [
      '0',
      '1',
      '12',
      '9999999',
      '0.5',
      '0.05',
      '12.5',
      '12.34',
      '12.345',
      '9999999.999',
      '1000000',
    ];
    for (const digits of [0, 1, 2, 3, 4, 5, 8]) {
      for (const price of prices) {
        const decimals = price.split('.')[1]?.length ?? 0;
        const units = toMinorUnits(price, digits);
        if (decimals > digits) expect(units, `${price} with ${digits}`).toBeUndefined();
        else expect(units, `${price} with ${digits}`).toBe(minorUnitsByDefinition(price, digits));
      }
    }
  });

  it('refuses what is no price', () => {
    for (const value of ['', '-1', '01', '1.', '.5', '1.2345', '12345678', '1e3', ' 1', '1,50', '0x10'])
      expect(toMinorUnits(value, 4), value).toBeUndefined();
  });

  it('isPositiveMoney: above 0, at most 1,000,000, at most 3 decimals', () => {
    expect(['0.001', '1', '999999.999', '1000000', '1000000.000'].map(isPositiveMoney)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['0', '0.000', '1000000.001', '1000001', '1.0001', 1, null].map(isPositiveMoney)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
