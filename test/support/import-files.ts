/** Generated order files for volume tests and the benchmark: `rows` rows with customer columns. */
export const GENERATED_HEADER =
  'product,price,quantity,currency,customer_name,customer_email,customer_phone,order_ref';

/** Row `i` of a generated file: one customer per `perCustomer` rows, every row its own order. */
export function generatedRow(i: number, perCustomer = 4): string {
  const c = Math.floor(i / perCustomer);
  const cents = 100 + ((i * 7919) % 99_900);
  return [
    `Product ${i % 5000} deluxe edition`,
    `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    String(1 + (i % 9)),
    i % 3 === 0 ? 'USD' : 'EUR',
    `Customer ${c} Testperson`,
    `customer.${c}@volume.example`,
    `+31 20 ${String(1_000_000 + (c % 9_000_000)).slice(0, 3)} ${String(c % 10_000).padStart(4, '0')}`,
    '',
  ].join(',');
}

/** The file in chunks of about `chunkRows` rows, generated lazily. */
export function* generatedFile(rows: number, chunkRows = 1000): Generator<string> {
  yield `${GENERATED_HEADER}\n`;
  for (let start = 0; start < rows; start += chunkRows) {
    const end = Math.min(rows, start + chunkRows);
    const lines: string[] = [];
    for (let i = start; i < end; i++) lines.push(generatedRow(i));
    yield `${lines.join('\n')}\n`;
  }
}
