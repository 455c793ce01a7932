import type { MasterKey } from '@orderops/core';
import { clientAddressOf, derivedHmacKey } from '@orderops/core';
import { createHmac } from 'node:crypto';

const CLIENT_KEY_PURPOSE = 'login-lock-client';

/** The client a brute-force lock is keyed on (see `clientAddressOf`); 'unknown' without an address. */
export function clientOf(ip: string | undefined): string {
  return ip ? clientAddressOf(ip) : 'unknown';
}

/** A keyed fingerprint of the client (HMAC under a key derived from the master key): no address is stored. */
export function clientKeyOf(ip: string | undefined, masterKey: MasterKey): string {
  return createHmac('sha256', derivedHmacKey(masterKey, CLIENT_KEY_PURPOSE))
    .update(clientOf(ip), 'utf8')
    .digest('hex');
}
