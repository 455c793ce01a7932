import { toCents } from './dto/money.validator.js';

/** What the total is made of: a validated decimal price and a whole quantity. */
export interface PricedItem {
  readonly unitPrice: string;
  readonly quantity: number;
}

/** Cents as the NUMERIC(16,2) text PostgreSQL itself prints (`12.30`, never `12.3`). */
export function formatCents(cents: bigint): string {
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/**
 * The one rule for an order's total, used by POST /orders and by imports alike: the sum of
 * unit price x quantity, exact in minor units (integer cents as bigint), never a float.
 * Prices must already have passed the money validator; anything else is a bug, not input.
 */
export function orderTotal(items: readonly PricedItem[]): string {
  let cents = 0n;
  for (const item of items) {
    const price = toCents(item.unitPrice);
    if (price === undefined) throw new Error('an unvalidated price reached the order total');
    if (!Number.isSafeInteger(item.quantity))
      throw new Error('an unvalidated quantity reached the order total');
    cents += price * BigInt(item.quantity);
  }
  return formatCents(cents);
}
