import { describe, expect, it } from 'vitest';
import { toCustomerResponse } from './customer.mapper.js';
import type { CustomerRecord } from './customer-record.js';
import { markRevealed } from './revealed-records.js';

const record: CustomerRecord = {
  id: 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F',
  name: 'Jane Doe',
  email: 'jane.doe@example.com',
  phone: '+31 20 123 4567',
  address: { line1: '1 Main Street', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
  createdAt: new Date('2026-11-30T10:00:00Z'),
  erasedAt: null,
};

describe('toCustomerResponse', () => {
  it('masks by default: the response is safe before any interceptor sees it', () => {
    // Spread into a plain object, as a careless handler might: still nothing in clear.
    const plain = { ...toCustomerResponse(record) };
    expect(plain).toEqual({
      id: record.id,
      name: 'J*** D***',
      email: 'j***@example.com',
      phone: '***67',
      address: { city: 'Amsterdam', country: 'NL' },
      erased: false,
      createdAt: '2026-11-30T10:00:00.000Z',
    });
  });

  it('answers in clear only for the record an audited reveal returned', () => {
    const revealed = markRevealed({ ...record });
    expect(toCustomerResponse(revealed)).toMatchObject({
      name: record.name,
      email: record.email,
      phone: record.phone,
      address: record.address,
    });
  });

  it('masks a copy of a revealed record: clear text cannot be asked for, only handed out', () => {
    const revealed = markRevealed({ ...record });
    const copy = { ...revealed };
    expect(toCustomerResponse(copy)).toMatchObject({ name: 'J*** D***', email: 'j***@example.com' });
    // The record itself was never marked: no call elsewhere turns it clear.
    expect(toCustomerResponse(record).email).toBe('j***@example.com');
  });

  it('keeps an erased customer empty', () => {
    const erased = { ...record, name: null, email: null, phone: null, address: null, erasedAt: new Date() };
    expect(toCustomerResponse(erased)).toMatchObject({
      name: null,
      email: null,
      phone: null,
      address: null,
      erased: true,
    });
  });
});
