import { registerDecorator, type ValidationOptions } from 'class-validator';

const MONEY = /^(0|[1-9][0-9]{0,6})(\.[0-9]{1,2})?$/;
const MAX_CENTS = 100_000_000n; // 1,000,000.00

/** A price as a decimal string, in cents as a bigint: exact, never a float. */
export function toCents(value: string): bigint | undefined {
  const match = MONEY.exec(value);
  if (!match) return undefined;
  const fraction = (match[2] ?? '').slice(1).padEnd(2, '0');
  return BigInt(match[1]) * 100n + BigInt(fraction === '' ? '0' : fraction);
}

/** "> 0, at most 2 decimals, <= 1,000,000", checked on the string without converting to a number. */
export function isPositiveMoney(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const cents = toCents(value);
  return cents !== undefined && cents > 0n && cents <= MAX_CENTS;
}

export function IsPositiveMoney(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPositiveMoney',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: '$property must be a decimal string > 0 and <= 1000000 with at most 2 decimals',
        ...options,
      },
      validator: { validate: isPositiveMoney },
    });
}
