import { FieldCode, type FieldProblem } from '@orderops/core';
import { minorUnitsOf } from './currencies.js';
import { decimalsOf } from './dto/money.validator.js';

/** An order as far as this rule needs it: its currency and its items' prices. */
export interface PricedOrder {
  readonly currency: string;
  readonly items: readonly { readonly unitPrice: string }[];
}

/**
 * A price may not have more decimals than its order's currency (ISO 4217 minor units: none
 * for JPY, 3 for KWD, 2 for EUR): `1.5` JPY or `1.001` EUR is no amount anyone can pay.
 * Checked on an order that passed the DTO rules (an item does not know its currency), by
 * POST /orders and by imports alike.
 */
export function priceDecimalProblems(order: PricedOrder): FieldProblem[] {
  const allowed = minorUnitsOf(order.currency);
  const problems: FieldProblem[] = [];
  order.items.forEach((item, i) => {
    const decimals = decimalsOf(item.unitPrice);
    if (decimals !== undefined && decimals > allowed) {
      problems.push({
        field: `items.${i}.unitPrice`,
        code: FieldCode.TooManyDecimals,
        message: `unitPrice has more decimals than ${order.currency} allows (${allowed})`,
      });
    }
  });
  return problems;
}
