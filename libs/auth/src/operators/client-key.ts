import type { MasterKey } from '@orderops/core';
import { deriveKey } from '@orderops/core';
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';

const CLIENT_KEY_PURPOSE = 'login-lock-client';

function expandIpv6(address: string): string[] {
  const [head, tail] = address.includes('::') ? address.split('::', 2) : [address, undefined];
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0');
  return [...front, ...fill, ...back].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}

/**
 * What identifies one client for brute-force locks: an IPv4 address, or an IPv6 /64 (one
 * subscriber usually holds a whole /64, so a finer key would give an attacker millions).
 */
export function clientOf(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1] : ip;
  if (isIP(address) === 6) return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
  return address;
}

/** A keyed fingerprint of the client (HMAC under a key derived from the master key): no address is stored. */
export function clientKeyOf(ip: string | undefined, masterKey: MasterKey): string {
  return createHmac('sha256', deriveKey(masterKey, CLIENT_KEY_PURPOSE))
    .update(clientOf(ip), 'utf8')
    .digest('hex');
}
