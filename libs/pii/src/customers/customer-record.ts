import type { Address } from '../masking/mask.js';

/** A customer with personal data decrypted. Lives in memory only, never logged or stored. */
export interface CustomerRecord {
  readonly id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly address: Address | null;
  readonly createdAt: Date;
  readonly erasedAt: Date | null;
}

export const CUSTOMER_ID_PATTERN = /^CUS-[0-9A-HJKMNP-TV-Z]{26}$/;

/** A customer's personal data as submitted, before it is encrypted. */
export interface CustomerDetails {
  readonly name: string;
  readonly email: string;
  readonly phone?: string;
  readonly address?: Address;
}
