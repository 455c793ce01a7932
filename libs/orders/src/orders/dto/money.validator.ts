import { registerDecorator, type ValidationOptions } from 'class-validator';
import { MAX_MINOR_UNITS } from '../currencies.js';

const MONEY = /^(0|[1-9][0-9]{0,6})(?:\.([0-9]{1,3}))?$/;
const MAX_UNITS = 1_000_000n;

/** The decimals a price is written with (`12` 0, `12.5` 1, `12.500` 3), or undefined if it is no price. */
export function decimalsOf(value: string): number | undefined {
  const match = MONEY.exec(value);
  return match ? (match[2]?.length ?? 0) : undefined;
}

/**
 * A price as a decimal string, in minor units of `digits` decimals (cents for 2) as a
 * bigint: exact, never a float. Undefined if it is no price or has more decimals than that.
 */
export function toMinorUnits(value: string, digits: number): bigint | undefined {
  const match = MONEY.exec(value);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  return BigInt(match[1]) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
}

/**
 * "> 0, at most 3 decimals, <= 1,000,000", checked on the string without converting to a
 * number. Whether the decimals fit the order's currency (0 for JPY, 2 for EUR) is the
 * order's rule (see priceProblems): an item does not know its currency.
 */
export function isPositiveMoney(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const units = toMinorUnits(value, MAX_MINOR_UNITS);
  return units !== undefined && units > 0n && units <= MAX_UNITS * 10n ** BigInt(MAX_MINOR_UNITS);
}

export function IsPositiveMoney(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPositiveMoney',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message:
          '$property must be a decimal string > 0 and <= 1000000 with at most 3 decimals (and no more than its currency has)',
        ...options,
      },
      validator: { validate: isPositiveMoney },
    });
}
