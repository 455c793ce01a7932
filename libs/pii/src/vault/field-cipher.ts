import { open, seal, sealedKeyVersion, type MasterKeyRing, type RandomBytes } from '@orderops/core';
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { DecryptionFailedError } from '../pii.errors.js';

const FORMAT = 'pf1';
/** Data keys are per customer and never re-keyed (rewrap changes only their wrapping). */
export const DATA_KEY_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type PiiColumn = 'name' | 'email' | 'phone' | 'address';

/** Binds a ciphertext to its table, column, row and key version: moved anywhere else, it fails. */
function aad(column: PiiColumn, customerId: string, keyVersion: number): Buffer {
  return Buffer.from(`customers|${column}|${customerId}|d${keyVersion}`, 'utf8');
}

const dekContext = (customerId: string): string => `customers|dek|${customerId}`;

export function newDataKey(random: RandomBytes = randomBytes): Buffer {
  return random(32);
}

export function wrapDataKey(
  ring: MasterKeyRing,
  customerId: string,
  dek: Buffer,
  random: RandomBytes = randomBytes,
): { wrapped: string; kekVersion: number } {
  const wrapped = seal(ring, dek, dekContext(customerId), random);
  return { wrapped, kekVersion: sealedKeyVersion(wrapped) };
}

export function unwrapDataKey(ring: MasterKeyRing, customerId: string, wrapped: string): Buffer {
  try {
    return open(ring, wrapped, dekContext(customerId));
  } catch {
    throw new DecryptionFailedError();
  }
}

/** The data key as a KeyObject (its own copy); the Buffer is zeroed, whatever happens. */
export function dataKeyObject(dek: Buffer): KeyObject {
  try {
    return createSecretKey(dek);
  } finally {
    dek.fill(0);
  }
}

/** `pf1.<data key version>.<iv>.<ciphertext>.<tag>`, AES-256-GCM with a random 96-bit IV. */
export function encryptField(
  dek: Buffer | KeyObject,
  column: PiiColumn,
  customerId: string,
  plaintext: string,
  random: RandomBytes = randomBytes,
): string {
  const iv = random(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dek, iv);
  cipher.setAAD(aad(column, customerId, DATA_KEY_VERSION));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    FORMAT,
    String(DATA_KEY_VERSION),
    iv.toString('base64url'),
    body.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

/** Decrypts or throws DecryptionFailedError: never returns altered or foreign data. */
export function decryptField(
  dek: Buffer | KeyObject,
  column: PiiColumn,
  customerId: string,
  ciphertext: string,
): string {
  const parts = ciphertext.split('.');
  if (parts.length !== 5 || parts[0] !== FORMAT || !/^[1-9][0-9]*$/.test(parts[1]))
    throw new DecryptionFailedError();
  const [iv, body, tag] = parts.slice(2).map((p) => Buffer.from(p, 'base64url'));
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionFailedError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, iv);
    decipher.setAAD(aad(column, customerId, Number(parts[1])));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionFailedError();
  }
}
