import { describe, expect, it } from 'vitest';
import type { CsvCells, CsvRecord } from './csv-rows.js';
import { checkOrder } from './import-rows.js';

const row = (line: number, cells: CsvCells): CsvRecord => ({ line, cells });
const item = (line: number, extra: CsvCells = {}): CsvRecord =>
  row(line, { product: 'Pen', price: '1.50', quantity: '2', ...extra });

describe('checkOrder (the CSV rows of one order, checked with the POST /orders rules)', () => {
  it('accepts a valid row as the POST /orders body it stands for, with the default currency', () => {
    const check = checkOrder([item(2)], 'EUR');
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.order.currency).toBe('EUR');
    expect(check.order.items).toEqual([{ product: 'Pen', unitPrice: '1.50', quantity: 2 }]);
    expect(check.order.customer).toBeUndefined();
  });

  it('takes the customer and currency from the first row of an order_ref', () => {
    const check = checkOrder(
      [
        item(2, { currency: 'USD', customer_name: 'Ada', customer_email: 'ada@example.com' }),
        item(3, { currency: 'USD' }),
      ],
      'EUR',
    );
    expect(check.ok && check.order.currency).toBe('USD');
    expect(check.ok && { ...check.order.customer }).toEqual({ name: 'Ada', email: 'ada@example.com' });
    expect(check.ok && check.order.items).toHaveLength(2);
  });

  it('names the file line and the CSV column of a bad cell (price, not unitPrice)', () => {
    const check = checkOrder([item(7, { price: '1.0001' })], 'EUR');
    expect(check).toEqual({
      ok: false,
      rejects: [
        {
          line: 7,
          errors: [
            {
              field: 'price',
              code: 'invalid_amount',
              message:
                'price must be a decimal string > 0 and <= 1000000 with at most 3 decimals (and no more than its currency has)',
            },
          ],
        },
      ],
    });
  });

  it('refuses a price with more decimals than its currency has (ISO 4217), in the price column', () => {
    const check = checkOrder([item(4, { price: '1.001' })], 'EUR');
    expect(check).toEqual({
      ok: false,
      rejects: [
        {
          line: 4,
          errors: [
            {
              field: 'price',
              code: 'too_many_decimals',
              message: 'price has more decimals than EUR allows (2)',
            },
          ],
        },
      ],
    });
    expect(checkOrder([item(4, { price: '1.001' })], 'KWD').ok).toBe(true);
    expect(checkOrder([item(4, { price: '1.5' })], 'JPY').ok).toBe(false);
  });

  it('refuses a quantity that is not a whole number, without converting it', () => {
    for (const quantity of ['1.5', '0', '10001', 'two', '']) {
      const check = checkOrder([item(2, { quantity })], 'EUR');
      expect(check.ok, quantity).toBe(false);
      if (!check.ok)
        expect(new Set(check.rejects[0].errors.map((e) => e.field))).toEqual(new Set(['quantity']));
    }
  });

  it('rejects the whole order when one row is invalid: the others with order_rejected', () => {
    const check = checkOrder([item(2), item(3, { product: '' }), item(4)], 'EUR');
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.rejects.map((r) => [r.line, r.errors.map((e) => e.code)])).toEqual([
      [2, ['order_rejected']],
      [3, ['too_short']],
      [4, ['order_rejected']],
    ]);
  });

  it('refuses later rows of an order_ref that contradict the first on an order column', () => {
    const check = checkOrder([item(2, { currency: 'EUR' }), item(3, { currency: 'USD' })], 'EUR');
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.rejects[1]).toEqual({
      line: 3,
      errors: [
        {
          field: 'currency',
          code: 'conflicting_value',
          message: 'currency differs from the first row of this order_ref',
        },
      ],
    });
  });

  it('puts customer problems on the customer column of the first line, never echoing the value', () => {
    const check = checkOrder([item(5, { customer_name: 'Ada', customer_email: 'not-an-email' })], 'EUR');
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.rejects[0].line).toBe(5);
    expect(check.rejects[0].errors.map((e) => e.field)).toEqual(['customer_email']);
    expect(JSON.stringify(check.rejects)).not.toContain('not-an-email');
  });

  it('refuses an unknown currency on the currency column', () => {
    const check = checkOrder([item(2, { currency: 'XXX' })], 'EUR');
    expect(!check.ok && check.rejects[0].errors.map((e) => [e.field, e.code])).toEqual([
      ['currency', 'invalid_enum'],
    ]);
  });
});
