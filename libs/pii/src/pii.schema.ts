import type { DatabaseSchema } from '@orderops/core';
import { CustomerEntity } from './customers/customer.entity.js';
import { CreateCustomers1732600000000 } from './migrations/1732600000000-create-customers.js';

export const piiSchema: DatabaseSchema = {
  entities: [CustomerEntity],
  migrations: [CreateCustomers1732600000000],
};
