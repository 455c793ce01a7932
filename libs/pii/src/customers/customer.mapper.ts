import { maskValue, type Address } from '../masking/mask.js';
import type { CustomerRecord } from './customer-record.js';
import { CustomerResponse } from './dto/customer.response.js';
import { isRevealed } from './revealed-records.js';

/**
 * The response for a customer, masked (`j***@example.com`): in clear only for the very
 * record an audited reveal or export returned (CustomersService.reveal/export), and the
 * masking interceptor still masks that unless the route is @RevealPii and the caller holds
 * its scope.
 */
export function toCustomerResponse(record: CustomerRecord): CustomerResponse {
  const clear = isRevealed(record);
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
