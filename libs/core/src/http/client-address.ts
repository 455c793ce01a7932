import { isIP } from 'node:net';

/** `::ffff:203.0.113.7` -> `203.0.113.7`: an IPv4 client seen through a dual-stack socket. */
export function unmappedAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1] : ip;
}

/** The eight groups of an IPv6 address, `::` expanded, lower case, without leading zeros. */
export function ipv6Groups(address: string): string[] {
  const [head, tail] = address.includes('::') ? address.split('::', 2) : [address, undefined];
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0');
  return [...front, ...fill, ...back].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}

/**
 * What identifies one client for rate limits and brute-force locks: an IPv4 address, or an
 * IPv6 /64 (one subscriber usually holds a whole /64, so a finer key would give an attacker
 * millions). Anything that is not an IP address is returned as it is.
 */
export function clientAddressOf(ip: string): string {
  const address = unmappedAddress(ip);
  return isIP(address) === 6 ? `${ipv6Groups(address).slice(0, 4).join(':')}::/64` : address;
}
