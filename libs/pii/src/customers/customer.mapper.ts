import type { CustomerRecord } from './customer-record.js';
import { CustomerResponse } from './dto/customer.response.js';

/** Plain values into the response class; the masking interceptor decides what is shown. */
export function toCustomerResponse(record: CustomerRecord): CustomerResponse {
  return Object.assign(new CustomerResponse(), {
    id: record.id,
    name: record.name,
    email: record.email,
    phone: record.phone,
    address: record.address,
    erased: record.erasedAt !== null,
    createdAt: record.createdAt.toISOString(),
  });
}
