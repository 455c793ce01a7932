import { describe, expect, it } from 'vitest';
import {
  MAX_DETAILS_BYTES,
  networkOf,
  sensitiveKeyReason,
  validateAuditDetails,
  validateAuditIdentifier,
} from './audit-details.js';
import { InvalidAuditEventError } from './audit.errors.js';

describe('audit details', () => {
  it('accepts a small summary of ids, names of fields, counts and flags', () => {
    const details = {
      grant: 'password',
      clientId: 'orderops-web',
      scopes: ['orders:read', 'admin'],
      changed: ['password', 'scopes'],
      failures: 5,
      familyRevoked: true,
      purpose: 'support ticket 4711',
      network: '203.0.113.0/24',
      attemptedUser: 'hmac:v1:0123456789abcdef0123456789abcdef',
      nested: { operatorId: '0b9c4a52-3f6e-4d4c-9a43-2c1f0e5d7a10' },
    };
    expect(validateAuditDetails(details)).toBe(details);
    expect(validateAuditDetails(undefined)).toEqual({});
  });

  it.each([
    'password',
    'newPassword',
    'client_secret',
    'clientSecret',
    'accessToken',
    'refresh_token',
    'Authorization',
    'apiKey',
    'privateKey',
    'pin',
    'email',
    'customerEmail',
    'phone',
    'mobileNumber',
    'address',
    'billingAddress',
    'name',
    'username',
    'lastName',
    'ip',
    'clientIp',
    'ipAddress',
    'dateOfBirth',
    'iban',
    'cardNumber',
  ])('refuses the key %s, at any depth', (key) => {
    expect(sensitiveKeyReason(key)).toBeDefined();
    expect(() => validateAuditDetails({ [key]: 'x' })).toThrow(InvalidAuditEventError);
    expect(() => validateAuditDetails({ outer: { [key]: 'x' } })).toThrow(InvalidAuditEventError);
    expect(() => validateAuditDetails({ list: [{ [key]: 'x' }] })).toThrow(InvalidAuditEventError);
  });

  it.each([
    ['an email address', 'jane.doe@example.com'],
    ['a JWT', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
    ['a bearer credential', 'Bearer abc.def'],
    ['an IPv4 address', '203.0.113.77'],
    ['an IPv6 address', '2001:db8::1'],
    ['a key', '-----BEGIN PRIVATE KEY-----'],
  ])('refuses a value that looks like %s under any key', (_what, value) => {
    expect(() => validateAuditDetails({ note: value })).toThrow(InvalidAuditEventError);
    expect(() => validateAuditIdentifier(value, 'target id')).toThrow(InvalidAuditEventError);
  });

  it('never echoes the refused value in the error', () => {
    try {
      validateAuditDetails({ note: 'jane.doe@example.com' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('details.note');
      expect((error as Error).message).not.toContain('jane');
    }
  });

  it('caps the size, depth, strings and arrays', () => {
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'x'.repeat(60)]));
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_DETAILS_BYTES);
    expect(() => validateAuditDetails(big)).toThrow(/limit/);
    expect(() => validateAuditDetails({ a: { b: { c: { d: { e: 1 } } } } })).toThrow(/deeply/);
    expect(() => validateAuditDetails({ s: 'x'.repeat(257) })).toThrow(/longer/);
    expect(() => validateAuditDetails({ l: Array.from({ length: 33 }, () => 1) })).toThrow(/items/);
  });

  it('accepts only plain JSON that jsonb stores unchanged', () => {
    expect(() => validateAuditDetails({ f: 1.5 })).toThrow(/integer/);
    expect(() => validateAuditDetails({ u: undefined })).toThrow(/undefined/);
    expect(() => validateAuditDetails({ d: new Date() })).toThrow(/plain JSON/);
    expect(() => validateAuditDetails({ z: 'a\u0000b' })).toThrow(/NUL/);
    expect(() => validateAuditDetails({ 'bad key': 1 })).toThrow(/plain name/);
    expect(() => validateAuditDetails(['x'])).toThrow(/object/);
  });
});

describe('networkOf', () => {
  it('keeps the /24 of an IPv4 address and the /48 of an IPv6 one, never the address', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:198.51.100.9')).toBe('198.51.100.0/24');
    expect(networkOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(networkOf('::1')).toBe('0:0:0::/48');
    expect(networkOf('not-an-ip')).toBeUndefined();
    expect(networkOf(undefined)).toBeUndefined();
  });

  it('gives a value the detail rules accept', () => {
    expect(() => validateAuditDetails({ network: networkOf('203.0.113.77') ?? '' })).not.toThrow();
  });
});
