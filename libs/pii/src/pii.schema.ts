import type { DatabaseSchema } from '@orderops/core';
import { CustomerEntity } from './customers/customer.entity.js';
import { CreateCustomers1732600000000 } from './migrations/1732600000000-create-customers.js';
import { CustomerOwners1733000000001 } from './migrations/1733000000001-customer-owners.js';

export const piiSchema: DatabaseSchema = {
  entities: [CustomerEntity],
  migrations: [CreateCustomers1732600000000, CustomerOwners1733000000001],
};
