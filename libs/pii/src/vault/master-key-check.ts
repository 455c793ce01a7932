import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CustomersService } from '../customers/customers.service.js';

/**
 * Refuses to start while any customer's data key is wrapped under a master key version
 * that is not configured: those customers would be unreadable, which must be noticed at
 * deploy time, not on the first request that touches one.
 */
@Injectable()
export class MasterKeyCheck implements OnModuleInit {
  constructor(private readonly customers: CustomersService) {}

  async onModuleInit(): Promise<void> {
    const unknown = await this.customers.countUnknownKeyVersions();
    if (unknown > 0) {
      throw new Error(
        `${unknown} customer data key(s) are wrapped with a master key version that ORDEROPS_MASTER_KEYS ` +
          'does not list. Add that version back (after the current one), then run `orderops pii rewrap`.',
      );
    }
  }
}
