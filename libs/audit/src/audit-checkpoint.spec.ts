import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAuditCheckpoint, signAuditCheckpoint, verifyAuditCheckpoint } from './audit-checkpoint.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyFor = (kid: string) => Promise.resolve(kid === 'k1' ? publicKey : undefined);
const head = { seq: '42', hash: 'a'.repeat(64), at: '2026-01-01T00:00:00.000Z' };

describe('audit checkpoints', () => {
  it('round-trip: signed with ES256 under the kid, parsed from text, verified', async () => {
    const signed = signAuditCheckpoint(head, { kid: 'k1', privateKey });
    expect(signed).toMatchObject({ ...head, kid: 'k1' });
    const header = JSON.parse(Buffer.from(signed.jws.split('.')[0], 'base64url').toString()) as object;
    expect(header).toEqual({ alg: 'ES256', kid: 'k1', typ: 'orderops-audit-checkpoint' });
    const parsed = parseAuditCheckpoint(JSON.stringify(signed));
    expect(parsed).toEqual(signed);
    expect(await verifyAuditCheckpoint(parsed!, keyFor)).toBe('valid');
  });

  it('refuses readable members that differ from what was signed', async () => {
    const signed = signAuditCheckpoint(head, { kid: 'k1', privateKey });
    expect(await verifyAuditCheckpoint({ ...signed, seq: '41' }, keyFor)).toBe('invalid');
    expect(await verifyAuditCheckpoint({ ...signed, hash: 'b'.repeat(64) }, keyFor)).toBe('invalid');
  });

  it('refuses a re-signed payload with another key, and a forged signature', async () => {
    const forged = signAuditCheckpoint(
      { ...head, hash: 'b'.repeat(64) },
      { kid: 'k1', privateKey: other.privateKey },
    );
    expect(await verifyAuditCheckpoint(forged, keyFor)).toBe('invalid');
    const signed = signAuditCheckpoint(head, { kid: 'k1', privateKey });
    const [h, p] = signed.jws.split('.');
    const spliced = `${h}.${p}.${forged.jws.split('.')[2]}`;
    expect(await verifyAuditCheckpoint({ ...signed, jws: spliced }, keyFor)).toBe('invalid');
  });

  it('reports a key it cannot find', async () => {
    const signed = signAuditCheckpoint(head, { kid: 'gone', privateKey });
    expect(await verifyAuditCheckpoint(signed, keyFor)).toBe('unknown_key');
  });

  it('parses only checkpoint-shaped JSON', () => {
    expect(parseAuditCheckpoint('not json')).toBeUndefined();
    expect(parseAuditCheckpoint(JSON.stringify({ ...head, kid: 'k1' }))).toBeUndefined();
    expect(parseAuditCheckpoint(JSON.stringify({ ...head, seq: 42, kid: 'k1', jws: 'x' }))).toBeUndefined();
  });
});
