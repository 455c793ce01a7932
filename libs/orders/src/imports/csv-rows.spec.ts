import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ImportInvalidFileError, ImportTooLargeError } from '../orders.errors.js';
import { mapHeader, readCsv, type CsvRecord } from './csv-rows.js';

async function read(
  bytes: string | Buffer,
  limit = 1024 * 1024,
): Promise<{ records: CsvRecord[]; bad: number[]; sha256: string }> {
  const bad: number[] = [];
  const reader = readCsv(Readable.from([Buffer.from(bytes)]), limit, (line) => bad.push(line));
  const records: CsvRecord[] = [];
  for await (const record of reader.records) records.push(record);
  return { records, bad, sha256: reader.gate.sha256() };
}

describe('mapHeader', () => {
  it('maps column names case-insensitively, in any order', () => {
    expect(mapHeader([' Price ', 'PRODUCT', 'quantity', 'Order_Ref'])).toEqual([
      'price',
      'product',
      'quantity',
      'order_ref',
    ]);
  });

  it('refuses an unknown column by position, never echoing the cell', () => {
    expect(() => mapHeader(['product', 'price', 'quantity', 'jane@example.com'])).toThrow(
      new ImportInvalidFileError(
        'Header column 4 is not one of product, price, quantity, currency, customer_name, customer_email, customer_phone, order_ref.',
      ),
    );
  });

  it('refuses a repeated column and a missing required one', () => {
    expect(() => mapHeader(['product', 'price', 'quantity', 'Price'])).toThrow(/names price twice/);
    expect(() => mapHeader(['product', 'quantity'])).toThrow(/lacks the required column\(s\) price/);
  });
});

describe('readCsv', () => {
  it('yields each record with the file line it ends on, trimmed, skipping blank lines', async () => {
    const { records, bad } = await read('product,price,quantity\n Pen ,1.00,1\n\n"Ink, blue",2.00,3\n');
    expect(bad).toEqual([]);
    expect(records).toEqual([
      { line: 2, cells: { product: 'Pen', price: '1.00', quantity: '1' } },
      { line: 4, cells: { product: 'Ink, blue', price: '2.00', quantity: '3' } },
    ]);
  });

  it('reports a row with the wrong number of cells and goes on with the next', async () => {
    const { records, bad } = await read('product,price,quantity\nPen,1.00\nInk,2.00,3\n');
    expect(bad).toEqual([2]);
    expect(records.map((r) => r.line)).toEqual([3]);
  });

  it('drops a leading BOM and hashes every byte received', async () => {
    const file = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('product,price,quantity\nPen,1.00,1\n'),
    ]);
    const { records, sha256 } = await read(file);
    expect(records).toHaveLength(1);
    const { createHash } = await import('node:crypto');
    expect(sha256).toBe(createHash('sha256').update(file).digest('hex'));
  });

  it('fails the file on invalid UTF-8, an unclosed quote, or more bytes than the limit', async () => {
    await expect(read(Buffer.from([0x70, 0x72, 0x6f, 0xff, 0x0a]))).rejects.toThrow(/not valid UTF-8/);
    await expect(read('product,price,quantity\n"Pen,1.00,1\n')).rejects.toBeInstanceOf(
      ImportInvalidFileError,
    );
    await expect(read('product,price,quantity\nPen,1.00,1\n', 10)).rejects.toBeInstanceOf(
      ImportTooLargeError,
    );
  });
});
