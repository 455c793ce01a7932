import { isIP } from 'node:net';
import { ipv6Groups, unmappedAddress } from '@orderops/core';
import { InvalidAuditEventError } from './audit.errors.js';
import type { AuditDetails, AuditJson } from './audit-hash.js';

/** `details` is a small summary, never a payload. */
export const MAX_DETAILS_BYTES = 2048;
const MAX_DEPTH = 4;
const MAX_STRING_LENGTH = 256;
const MAX_ARRAY_LENGTH = 32;
const MAX_KEY_LENGTH = 64;

/**
 * Keys that name personal data or credentials. Compared lower-cased with separators removed,
 * so `clientSecret`, `client_secret` and `Client-Secret` are all refused. Credentials are
 * refused under any name containing these words; personal fields also when a key ends in them.
 */
const CREDENTIAL_WORDS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'cookie',
  'apikey',
  'privatekey',
  'credential',
];
const CREDENTIAL_KEYS = ['otp', 'pin', 'pwd', 'pass'];
const PERSONAL_WORDS = [
  'email',
  'mail',
  'phone',
  'mobile',
  'address',
  'street',
  'postcode',
  'postalcode',
  'zipcode',
  'birth',
  'ssn',
  'iban',
  'card',
  'cvv',
];
const PERSONAL_KEYS = ['ip', 'ipv4', 'ipv6', 'ipaddr', 'dob', 'zip'];
const PERSONAL_SUFFIXES = ['name', 'clientip', 'remoteip', 'sourceip', 'userip'];

/** Values that are personal data or credentials whatever their key. */
const SENSITIVE_VALUES: readonly [RegExp, string][] = [
  [/[^\s@]+@[^\s@]+\.[^\s@]+/, 'an email address'],
  [/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/, 'a JWT'],
  [/\bbearer\s+\S/i, 'a bearer credential'],
  [/-----BEGIN [A-Z ]*KEY-----/, 'a key'],
  // A full IPv4 address; a network such as 203.0.113.0/24 (see networkOf) is fine.
  [/(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d./])/, 'an IP address'],
];

export function sensitiveKeyReason(key: string): string | undefined {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (CREDENTIAL_WORDS.some((w) => k.includes(w)) || CREDENTIAL_KEYS.includes(k)) return 'a credential';
  if (PERSONAL_WORDS.some((w) => k.includes(w)) || PERSONAL_KEYS.includes(k)) return 'personal data';
  if (PERSONAL_SUFFIXES.some((suffix) => k.endsWith(suffix))) return 'personal data';
  return undefined;
}

function isIpv6(value: string): boolean {
  return isIP(value) === 6;
}

function checkString(value: string, field: string, maxLength: number): void {
  if (value.length > maxLength) {
    throw new InvalidAuditEventError(`${field} is longer than ${maxLength} characters`);
  }
  if (value.includes('\u0000')) throw new InvalidAuditEventError(`${field} contains NUL`);
  for (const [pattern, what] of SENSITIVE_VALUES) {
    if (pattern.test(value)) throw new InvalidAuditEventError(`${field} looks like ${what}`);
  }
  if (isIpv6(value)) throw new InvalidAuditEventError(`${field} looks like an IP address`);
}

/** Actor and target ids are identifiers (uuids, client ids, key ids), never personal data. */
export function validateAuditIdentifier(value: string, field: string): string {
  if (value.length === 0) throw new InvalidAuditEventError(`${field} is empty`);
  checkString(value, field, 128);
  return value;
}

function check(value: unknown, path: string, depth: number): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidAuditEventError(`details.${path} must be a safe integer (no fractions)`);
    }
    return;
  }
  if (typeof value === 'string') {
    checkString(value, `details.${path}`, MAX_STRING_LENGTH);
    return;
  }
  if (depth + 1 >= MAX_DEPTH) throw new InvalidAuditEventError(`details.${path} is nested too deeply`);
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) {
      throw new InvalidAuditEventError(`details.${path} has more than ${MAX_ARRAY_LENGTH} items`);
    }
    value.forEach((item, i) => check(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    checkObject(value as Record<string, unknown>, path, depth + 1);
    return;
  }
  throw new InvalidAuditEventError(`details.${path} is not plain JSON`);
}

function checkObject(object: Record<string, unknown>, parent: string, depth: number): void {
  for (const [key, value] of Object.entries(object)) {
    const path = parent ? `${parent}.${key}` : key;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) {
      throw new InvalidAuditEventError(
        `details key ${JSON.stringify(path.slice(0, 80))} is not a plain name`,
      );
    }
    const reason = sensitiveKeyReason(key);
    if (reason) throw new InvalidAuditEventError(`details.${path} would hold ${reason}`);
    if (value === undefined) throw new InvalidAuditEventError(`details.${path} is undefined`);
    check(value, path, depth);
  }
}

/**
 * Refuses details that are large, not plain JSON, or that look like personal data or
 * secrets. Errors name the offending path and rule, never the value.
 */
export function validateAuditDetails(details: unknown): AuditDetails {
  if (details === undefined) return {};
  if (details === null || typeof details !== 'object' || Array.isArray(details)) {
    throw new InvalidAuditEventError('details must be an object');
  }
  checkObject(details as Record<string, unknown>, '', 0);
  const size = Buffer.byteLength(JSON.stringify(details), 'utf8');
  if (size > MAX_DETAILS_BYTES) {
    throw new InvalidAuditEventError(`details are ${size} bytes; the limit is ${MAX_DETAILS_BYTES}`);
  }
  return details as AuditDetails;
}

/**
 * The network an address belongs to, never the address: IPv4 /24, IPv6 /48
 * (`203.0.113.77` -> `203.0.113.0/24`). Undefined for anything that is not an IP.
 */
export function networkOf(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const address = unmappedAddress(ip);
  const version = isIP(address);
  if (version === 4) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (version === 6) return `${ipv6Groups(address).slice(0, 3).join(':')}::/48`;
  return undefined;
}

export type { AuditJson };
