import { maskValue, type Address } from '../masking/mask.js';
import type { CustomerRecord } from './customer-record.js';
import { CustomerResponse } from './dto/customer.response.js';

export interface CustomerResponseOptions {
  /**
   * Personal data in clear. Only the audited reveal and export handlers pass it; the
   * masking interceptor still masks unless the route is @RevealPii and the caller holds
   * its scope.
   */
  readonly reveal?: boolean;
}

/** The response for a customer, masked (`j***@example.com`) unless `reveal` is set. */
export function toCustomerResponse(
  record: CustomerRecord,
  options: CustomerResponseOptions = {},
): CustomerResponse {
  const clear = options.reveal === true;
  return Object.assign(new CustomerResponse(), {
    id: record.id,
    name: clear ? record.name : (maskValue('name', record.name) as string | null),
    email: clear ? record.email : (maskValue('email', record.email) as string | null),
    phone: clear ? record.phone : (maskValue('phone', record.phone) as string | null),
    address: clear ? record.address : (maskValue('address', record.address) as Address | null),
    erased: record.erasedAt !== null,
    createdAt: record.createdAt.toISOString(),
  });
}
