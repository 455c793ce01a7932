import { describe, expect, it } from 'vitest';
import { clientKeyOf, clientOf } from './client-key.js';

const KEY = { version: 1, key: Buffer.alloc(32, 7) };

describe('clientOf', () => {
  it('keeps an IPv4 address whole, mapped or not', () => {
    expect(clientOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('reduces IPv6 to its /64, however it is written', () => {
    expect(clientOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
  });

  it('names a request without an address as one client', () => {
    expect(clientOf(undefined)).toBe('unknown');
  });
});

describe('clientKeyOf', () => {
  it('is a keyed fingerprint: equal per client, different across clients and keys, no address in it', () => {
    const a = clientKeyOf('2001:db8:1:2::1', KEY);
    expect(a).toBe(clientKeyOf('2001:db8:1:2::ffff', KEY));
    expect(a).not.toBe(clientKeyOf('2001:db8:1:3::1', KEY));
    expect(a).not.toBe(clientKeyOf('2001:db8:1:2::1', { version: 2, key: Buffer.alloc(32, 8) }));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});
