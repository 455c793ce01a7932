import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkpointHead,
  parseAuditCheckpoint,
  signAuditCheckpoint,
  verifyAuditCheckpoint,
} from './audit-checkpoint.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyFor = (kid: string) => Promise.resolve(kid === 'k1' ? publicKey : undefined);
const head = { seq: '42', hash: 'a'.repeat(64), at: '2026-01-01T00:00:00.000Z' };

describe('audit checkpoints', () => {
  it('round-trip: signed with ES256 under the kid, parsed from text, verified', async () => {
    const signed = signAuditCheckpoint(head, { kid: 'k1', privateKey });
    expect(signed).toMatchObject({ ...head, seq: 42, kid: 'k1' });
    const payload = JSON.parse(Buffer.from(signed.jws.split('.')[1], 'base64url').toString()) as object;
    expect(payload).toEqual({ ...head, seq: 42 });
    const header = JSON.parse(Buffer.from(signed.jws.split('.')[0], 'base64url').toString()) as object;
    expect(header).toEqual({ alg: 'ES256', kid: 'k1', typ: 'orderops-audit-checkpoint' });
    const parsed = parseAuditCheckpoint(JSON.stringify(signed));
    expect(parsed).toEqual(signed);
    expect(await verifyAuditCheckpoint(parsed!, keyFor)).toBe('valid');
  });

  it('refuses readable members that differ from what was signed', async () => {
    const signed = signAuditCheckpoint(head, { kid: 'k1', privateKey });
    expect(await verifyAuditCheckpoint({ ...signed, seq: 41 }, keyFor)).toBe('invalid');
    // Same value, other type: not what was signed either.
    expect(await verifyAuditCheckpoint({ ...signed, seq: '42' }, keyFor)).toBe('invalid');
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

  it('still verifies a checkpoint whose seq was signed as a string (earlier versions)', async () => {
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${b64({ alg: 'ES256', kid: 'k1', typ: 'orderops-audit-checkpoint' })}.${b64(head)}`;
    const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const legacy = { ...head, kid: 'k1', jws: `${input}.${sig.toString('base64url')}` };
    const parsed = parseAuditCheckpoint(JSON.stringify(legacy));
    expect(parsed).toEqual(legacy);
    expect(await verifyAuditCheckpoint(parsed!, keyFor)).toBe('valid');
    expect(checkpointHead(parsed!)).toEqual({ seq: '42', hash: head.hash });
  });

  it('parses only checkpoint-shaped JSON', () => {
    expect(parseAuditCheckpoint('not json')).toBeUndefined();
    expect(parseAuditCheckpoint(JSON.stringify({ ...head, kid: 'k1' }))).toBeUndefined();
    for (const seq of [-1, 1.5, '042', null])
      expect(
        parseAuditCheckpoint(JSON.stringify({ ...head, seq, kid: 'k1', jws: 'x' })),
        String(seq),
      ).toBeUndefined();
  });
});
