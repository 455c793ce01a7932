import { minorUnitsOf } from './currencies.js';
import { toMinorUnits } from './dto/money.validator.js';

/** What the total is made of: a validated decimal price and a whole quantity. */
export interface PricedItem {
  readonly unitPrice: string;
  readonly quantity: number;
}

/** Minor units as a decimal string with exactly `digits` decimals (`12.30`, `1000`, `1.250`). */
export function formatMinorUnits(units: bigint, digits: number): string {
  if (digits === 0) return units.toString();
  const scale = 10n ** BigInt(digits);
  return `${units / scale}.${(units % scale).toString().padStart(digits, '0')}`;
}

/** A validated price written with its currency's decimals (`1.5` EUR is `1.50`), as stored. */
export function normalizedPrice(unitPrice: string, currency: string): string {
  const digits = minorUnitsOf(currency);
  const units = toMinorUnits(unitPrice, digits);
  if (units === undefined) throw new Error('an unvalidated price reached the order');
  return formatMinorUnits(units, digits);
}

/**
 * The one rule for an order's total, used by POST /orders and by imports alike: the sum of
 * unit price x quantity, exact in the currency's minor units (ISO 4217: cents for EUR, yen
 * for JPY, fils for KWD) as a bigint, never a float, written with the currency's decimals.
 * Prices must already have passed the money and currency rules; anything else is a bug.
 */
export function orderTotal(items: readonly PricedItem[], currency: string): string {
  const digits = minorUnitsOf(currency);
  let units = 0n;
  for (const item of items) {
    const price = toMinorUnits(item.unitPrice, digits);
    if (price === undefined) throw new Error('an unvalidated price reached the order total');
    if (!Number.isSafeInteger(item.quantity))
      throw new Error('an unvalidated quantity reached the order total');
    units += price * BigInt(item.quantity);
  }
  return formatMinorUnits(units, digits);
}
