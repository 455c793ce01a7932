import 'reflect-metadata';
import {
  FieldCode,
  TRANSFORM_OPTIONS,
  VALIDATOR_OPTIONS,
  provenValidFor,
  toFieldProblems,
} from '@orderops/core';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { CreateOrderDto } from './create-order.dto.js';

type Body = Record<string, unknown>;

const valid = (): Body => ({
  currency: 'EUR',
  note: 'leave at the door',
  items: [
    { product: 'Laptop', unitPrice: '999.99', quantity: 2 },
    { product: 'Mouse', unitPrice: '0.01', quantity: 10_000 },
  ],
  customer: {
    name: 'Jane Doe',
    email: 'jane@example.com',
    phone: '+31 20 123 4567',
    address: { line1: '1 Main Street', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
  },
});

/** Sets `value` at a dotted path of a fresh valid body (`undefined` deletes). */
function withValue(path: string, value: unknown): Body {
  const body = valid();
  const keys = path.split('.');
  let node = body as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return body;
}

const ODD_VALUES: readonly unknown[] = [
  undefined,
  null,
  '',
  'x',
  'x'.repeat(200),
  'x'.repeat(201),
  'x'.repeat(501),
  'R'.repeat(64),
  'R'.repeat(65),
  'PO 17/a',
  ' PO-17',
  'PO-17 ',
  'PO-é',
  'line\nbreak',
  0,
  1,
  -1,
  2.5,
  10_000,
  10_001,
  '12',
  '0',
  '0.00',
  '0.001',
  '12.345',
  '1000000',
  '1000000.01',
  '1e3',
  ' 12.00',
  'EUR',
  'XXX',
  'eur',
  'jane@example',
  'not an email',
  '+31 20 123 4567',
  '0031 20 123 4567',
  'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F',
  'NL',
  'nl',
  true,
  [],
  [1],
  {},
  { product: 'Pen', unitPrice: '1.00', quantity: 1 },
];

const PATHS = [
  'currency',
  'note',
  'customerId',
  'externalRef',
  'items',
  'items.0',
  'items.0.product',
  'items.0.unitPrice',
  'items.0.quantity',
  'items.1.quantity',
  'customer',
  'customer.name',
  'customer.email',
  'customer.phone',
  'customer.address',
  'customer.address.line1',
  'customer.address.line2',
  'customer.address.postalCode',
  'customer.address.country',
  'surprise',
  'items.0.surprise',
  'customer.surprise',
  'customer.address.surprise',
];

const bodies: Body[] = [
  valid(),
  ...PATHS.flatMap((path) => ODD_VALUES.map((value) => withValue(path, value))),
  withValue(
    'items',
    Array.from({ length: 100 }, () => ({ product: 'P', unitPrice: '1.00', quantity: 1 })),
  ),
  withValue(
    'items',
    Array.from({ length: 101 }, () => ({ product: 'P', unitPrice: '1.00', quantity: 1 })),
  ),
];

describe('the fast validity check on CreateOrderDto (the POST /orders and import rules)', () => {
  const provenValid = provenValidFor(VALIDATOR_OPTIONS);

  it('agrees with validateSync on every variant, valid or not', () => {
    const disagreements: { body: Body; proven: boolean; errors: number }[] = [];
    let validCount = 0;
    for (const body of bodies) {
      const dto = plainToInstance(CreateOrderDto, body, TRANSFORM_OPTIONS);
      const errors = validateSync(dto, VALIDATOR_OPTIONS).length;
      if (errors === 0) validCount += 1;
      if (provenValid(dto) !== (errors === 0)) disagreements.push({ body, proven: provenValid(dto), errors });
    }
    expect(disagreements).toEqual([]);
    // The variants cover both outcomes in numbers, so a constant answer cannot pass.
    expect(bodies.length).toBeGreaterThan(800);
    expect(validCount).toBeGreaterThan(40);
    expect(bodies.length - validCount).toBeGreaterThan(600);
  });

  it('every refused variant is worded in stable codes, and the variants reach each code the DTO can answer', () => {
    const seen = new Set<string>();
    for (const body of bodies) {
      const dto = plainToInstance(CreateOrderDto, body, TRANSFORM_OPTIONS);
      for (const problem of toFieldProblems(validateSync(dto, VALIDATOR_OPTIONS))) seen.add(problem.code);
    }
    // `invalid` is the fallback of a rule without a mapping: never reached by a real DTO.
    expect([...seen].sort()).toEqual(
      [
        FieldCode.InvalidAmount,
        FieldCode.InvalidEnum,
        FieldCode.InvalidFormat,
        FieldCode.NotAllowed,
        FieldCode.NotAString,
        FieldCode.NotAnArray,
        FieldCode.NotAnInteger,
        FieldCode.NotAnObject,
        FieldCode.OutOfRange,
        FieldCode.TooFewItems,
        FieldCode.TooLong,
        FieldCode.TooManyItems,
        FieldCode.TooShort,
      ].sort(),
    );
  });
});
