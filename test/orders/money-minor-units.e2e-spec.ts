import { beforeAll, describe, expect, it } from 'vitest';
import { postImport, uniqueCsv, type ImportReportBody } from '../support/imports.js';
import { postOrder } from '../support/orders.js';
import { useTestApp } from '../support/use-test-app.js';

/** Prices and totals in their currency's ISO 4217 minor units (issue 14 §4). */

interface OrderBody {
  total: string;
  items: { unitPrice: string }[];
}

interface ProblemBody {
  errors: { field: string; code: string; message: string }[];
}

const one = (currency: string, unitPrice: string, quantity = 1) => ({
  currency,
  items: [{ product: 'P', unitPrice, quantity }],
});

describe('money in ISO 4217 minor units', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { clerk: ['orders:read', 'orders:write', 'orders:import'] },
  });
  let clerk: string;
  beforeAll(() => {
    clerk = t.token('clerk');
  });

  it.each<[string, string, number, string, string]>([
    ['JPY', '1500', 3, '1500', '4500'],
    ['KRW', '990', 2, '990', '1980'],
    ['KWD', '1.125', 2, '1.125', '2.250'],
    ['BHD', '0.5', 1, '0.500', '0.500'],
    ['JOD', '2.001', 1, '2.001', '2.001'],
    ['OMR', '10', 1, '10.000', '10.000'],
    ['TND', '0.999', 3, '0.999', '2.997'],
    ['EUR', '1.5', 3, '1.50', '4.50'],
    ['USD', '19.99', 3, '19.99', '59.97'],
  ])('%s %s x %d is stored and answered as %s, total %s', async (currency, price, quantity, shown, total) => {
    const res = await postOrder(t.app, clerk, one(currency, price, quantity));
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<OrderBody>();
    expect(body.items[0].unitPrice).toBe(shown);
    expect(body.total).toBe(total);
  });

  it.each<[string, string]>([
    ['JPY', '1500.5'],
    ['JPY', '1500.00'],
    ['KRW', '0.1'],
    ['EUR', '1.001'],
    ['USD', '0.005'],
    ['GBP', '10.000'],
  ])('refuses %s %s: more decimals than the currency has (400 field error)', async (currency, price) => {
    const res = await postOrder(t.app, clerk, one(currency, price));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const allowed = currency === 'JPY' || currency === 'KRW' ? 0 : 2;
    expect(res.json<ProblemBody>().errors).toEqual([
      {
        field: 'items.0.unitPrice',
        code: 'too_many_decimals',
        message: `unitPrice has more decimals than ${currency} allows (${allowed})`,
      },
    ]);
  });

  it('names the item whose price does not fit', async () => {
    const res = await postOrder(t.app, clerk, {
      currency: 'JPY',
      items: [
        { product: 'A', unitPrice: '100', quantity: 1 },
        { product: 'B', unitPrice: '100.5', quantity: 1 },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<ProblemBody>().errors.map((e) => e.field)).toEqual(['items.1.unitPrice']);
  });

  it('refuses 4 decimals in any currency, and more than 1,000,000 in a 3-decimal one', async () => {
    for (const body of [one('KWD', '1.1255'), one('KWD', '1000000.001')]) {
      const res = await postOrder(t.app, clerk, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<ProblemBody>().errors[0]).toMatchObject({
        field: 'items.0.unitPrice',
        code: 'invalid_amount',
      });
    }
    expect((await postOrder(t.app, clerk, one('KWD', '1000000.000'))).statusCode).toBe(201);
  });

  it('an import rejects the row whose price has too many decimals for its currency, and imports the rest', async () => {
    const csv = uniqueCsv(
      ['Tea,1500.5,1,JPY', 'Rice,1500,2,JPY', 'Dates,1.125,2,KWD', 'Pen,1.001,1,EUR'],
      'product,price,quantity,currency',
    ).replace(/,1\n$/, ',1,EUR\n');
    const res = await postImport(t.app, clerk, csv);
    const report = res.json<ImportReportBody>();
    expect(report, res.body).toMatchObject({
      status: 'completed',
      rows: 5,
      accepted: 3,
      rejected: 2,
      orders: 3,
    });
    expect(report.rejects).toEqual([
      {
        line: 2,
        errors: [
          {
            field: 'price',
            code: 'too_many_decimals',
            message: 'price has more decimals than JPY allows (0)',
          },
        ],
      },
      {
        line: 5,
        errors: [
          {
            field: 'price',
            code: 'too_many_decimals',
            message: 'price has more decimals than EUR allows (2)',
          },
        ],
      },
    ]);
  });
});
