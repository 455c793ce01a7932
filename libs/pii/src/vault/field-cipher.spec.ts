import { describe, expect, it } from 'vitest';
import { DecryptionFailedError } from '../pii.errors.js';
import { dataKeyObject, decryptField, encryptField, newDataKey } from './field-cipher.js';

const ID = 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F';

describe('field cipher with a data key as KeyObject', () => {
  it('zeroes the raw key and decrypts what the raw key encrypted', () => {
    const dek = newDataKey();
    const ciphertext = encryptField(dek, 'email', ID, 'jane@example.com');
    const key = dataKeyObject(dek);
    expect(dek.equals(Buffer.alloc(32))).toBe(true);
    expect(decryptField(key, 'email', ID, ciphertext)).toBe('jane@example.com');
  });

  it('still refuses a ciphertext moved to another column or row, or altered', () => {
    const dek = newDataKey();
    const ciphertext = encryptField(dek, 'email', ID, 'jane@example.com');
    const key = dataKeyObject(dek);
    expect(() => decryptField(key, 'name', ID, ciphertext)).toThrow(DecryptionFailedError);
    expect(() => decryptField(key, 'email', ID.replace('F', 'G'), ciphertext)).toThrow(DecryptionFailedError);
    const parts = ciphertext.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] ^= 1;
    parts[3] = body.toString('base64url');
    expect(() => decryptField(key, 'email', ID, parts.join('.'))).toThrow(DecryptionFailedError);
  });
});
