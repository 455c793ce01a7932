import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseMasterKeys, type MasterKeyRing } from '../config/master-keys.js';
import { SealedBoxError, UnknownMasterKeyError } from '../errors/core.errors.js';
import { createHmac } from 'node:crypto';
import { deriveKey, derivedHmacKey, open, seal, sealedKeyVersion } from './sealed-box.js';

const ring = (text: string): MasterKeyRing => {
  const parsed = parseMasterKeys(text);
  if (!parsed.ring) throw new Error(parsed.problems.join());
  return parsed.ring;
};
const k = (): string => randomBytes(32).toString('base64');
const v1 = `v1:${k()}`;
const v2 = `v2:${k()}`;

describe('sealed box', () => {
  const secret = Buffer.from('private key material');

  it('round-trips under the current key and names its version', () => {
    const r = ring(`${v2},${v1}`);
    const sealed = seal(r, secret, 'signing_keys|private_key|kid-1');
    expect(sealed.startsWith('ob1.2.')).toBe(true);
    expect(sealedKeyVersion(sealed)).toBe(2);
    expect(open(r, sealed, 'signing_keys|private_key|kid-1')).toEqual(secret);
  });

  it('opens values sealed under an older configured key', () => {
    const sealed = seal(ring(v1), secret, 'ctx');
    expect(open(ring(`${v2},${v1}`), sealed, 'ctx')).toEqual(secret);
  });

  it('refuses a value moved to another context (row or column)', () => {
    const r = ring(v1);
    const sealed = seal(r, secret, 'signing_keys|private_key|kid-1');
    expect(() => open(r, sealed, 'signing_keys|private_key|kid-2')).toThrow(SealedBoxError);
  });

  it('refuses a value with any byte flipped', () => {
    const r = ring(v1);
    const sealed = seal(r, secret, 'ctx');
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index], 'base64url');
      bytes[0] ^= 0x01;
      const tampered = [
        ...parts.slice(0, index),
        bytes.toString('base64url'),
        ...parts.slice(index + 1),
      ].join('.');
      expect(() => open(r, tampered, 'ctx')).toThrow(SealedBoxError);
    }
  });

  it('refuses a value whose key version is not configured, naming the version', () => {
    const sealed = seal(ring(v2), secret, 'ctx');
    expect(() => open(ring(v1), sealed, 'ctx')).toThrow(UnknownMasterKeyError);
    expect(() => open(ring(v1), sealed, 'ctx')).toThrow('v2');
  });

  it('derives distinct keys per purpose and per master key', () => {
    const r = ring(`${v2},${v1}`);
    const a = deriveKey(r.current, 'client-secret');
    expect(a).toHaveLength(32);
    expect(a.equals(deriveKey(r.current, 'blind-index'))).toBe(false);
    expect(a.equals(deriveKey(r.find(1)!, 'client-secret'))).toBe(false);
    expect(a.equals(deriveKey(r.current, 'client-secret'))).toBe(true);
  });

  it('gives the HMAC key of deriveKey once per master key and purpose, so stored HMACs still verify', () => {
    const r = ring(`${v2},${v1}`);
    const mac = (key: Parameters<typeof createHmac>[1]) =>
      createHmac('sha256', key).update('s').digest('hex');
    const key = derivedHmacKey(r.current, 'client-secret');
    expect(mac(key)).toBe(mac(deriveKey(r.current, 'client-secret')));
    expect(derivedHmacKey(r.current, 'client-secret')).toBe(key);
    expect(mac(derivedHmacKey(r.current, 'blind-index'))).not.toBe(mac(key));
    expect(mac(derivedHmacKey(r.find(1)!, 'client-secret'))).not.toBe(mac(key));
    // Another ring with the same key material derives the same key (no state shared by value).
    expect(mac(derivedHmacKey(ring(`${v2},${v1}`).current, 'client-secret'))).toBe(mac(key));
  });
});
