import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkpointHead,
  parseAuditCheckpoint,
  signTreeHead,
  verifyAuditCheckpoint,
} from './audit-checkpoint.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyFor = (kid: string) => Promise.resolve(kid === 'k1' ? publicKey : undefined);
const head = { treeSize: '42', rootHash: 'a'.repeat(64), at: '2026-01-01T00:00:00.000Z' };
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('signed tree heads (audit checkpoints)', () => {
  it('round-trip: signed with ES256 under the kid, parsed from text, verified', async () => {
    const signed = signTreeHead(head, { kid: 'k1', privateKey });
    expect(signed).toMatchObject({ ...head, treeSize: 42, kid: 'k1' });
    const payload = JSON.parse(Buffer.from(signed.jws.split('.')[1], 'base64url').toString()) as object;
    expect(payload).toEqual({ ...head, treeSize: 42 });
    const header = JSON.parse(Buffer.from(signed.jws.split('.')[0], 'base64url').toString()) as object;
    expect(header).toEqual({ alg: 'ES256', kid: 'k1', typ: 'orderops-audit-tree-head' });
    const parsed = parseAuditCheckpoint(JSON.stringify(signed));
    expect(parsed).toEqual(signed);
    expect(await verifyAuditCheckpoint(parsed!, keyFor)).toBe('valid');
    expect(checkpointHead(parsed!)).toEqual({ treeSize: '42', rootHash: head.rootHash });
  });

  it('refuses readable members that differ from what was signed', async () => {
    const signed = signTreeHead(head, { kid: 'k1', privateKey });
    expect(await verifyAuditCheckpoint({ ...signed, treeSize: 41 }, keyFor)).toBe('invalid');
    expect(await verifyAuditCheckpoint({ ...signed, rootHash: 'b'.repeat(64) }, keyFor)).toBe('invalid');
    expect(await verifyAuditCheckpoint({ ...signed, at: '2027-01-01T00:00:00.000Z' }, keyFor)).toBe(
      'invalid',
    );
  });

  it('refuses a payload with an extra member, and a chain checkpoint typ on a tree head', async () => {
    const extra = `${b64({ alg: 'ES256', kid: 'k1', typ: 'orderops-audit-tree-head' })}.${b64({ ...head, treeSize: 42, more: 1 })}`;
    const sig = sign('sha256', Buffer.from(extra), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const signed = signTreeHead(head, { kid: 'k1', privateKey });
    expect(
      await verifyAuditCheckpoint({ ...signed, jws: `${extra}.${sig.toString('base64url')}` }, keyFor),
    ).toBe('invalid');
    const wrongTyp = `${b64({ alg: 'ES256', kid: 'k1', typ: 'orderops-audit-checkpoint' })}.${b64({ ...head, treeSize: 42 })}`;
    const sig2 = sign('sha256', Buffer.from(wrongTyp), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(
      await verifyAuditCheckpoint({ ...signed, jws: `${wrongTyp}.${sig2.toString('base64url')}` }, keyFor),
    ).toBe('invalid');
  });

  it('refuses a re-signed payload with another key, and a forged signature', async () => {
    const forged = signTreeHead(
      { ...head, rootHash: 'b'.repeat(64) },
      { kid: 'k1', privateKey: other.privateKey },
    );
    expect(await verifyAuditCheckpoint(forged, keyFor)).toBe('invalid');
    const signed = signTreeHead(head, { kid: 'k1', privateKey });
    const [h, p] = signed.jws.split('.');
    const spliced = `${h}.${p}.${forged.jws.split('.')[2]}`;
    expect(await verifyAuditCheckpoint({ ...signed, jws: spliced }, keyFor)).toBe('invalid');
  });

  it('reports a key it cannot find', async () => {
    const signed = signTreeHead(head, { kid: 'gone', privateKey });
    expect(await verifyAuditCheckpoint(signed, keyFor)).toBe('unknown_key');
  });

  it('still verifies a chain checkpoint taken before the Merkle log (seq as integer or string)', async () => {
    const chain = { seq: 42, hash: 'c'.repeat(64), at: '2026-01-01T00:00:00.000Z' };
    for (const seq of [42, '42']) {
      const input = `${b64({ alg: 'ES256', kid: 'k1', typ: 'orderops-audit-checkpoint' })}.${b64({ ...chain, seq })}`;
      const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const legacy = { ...chain, seq, kid: 'k1', jws: `${input}.${sig.toString('base64url')}` };
      const parsed = parseAuditCheckpoint(JSON.stringify(legacy));
      expect(parsed).toEqual(legacy);
      expect(await verifyAuditCheckpoint(parsed!, keyFor)).toBe('valid');
      expect(checkpointHead(parsed!)).toEqual({ seq: '42', hash: chain.hash });
      // Same value, other type: not what was signed.
      expect(await verifyAuditCheckpoint({ ...legacy, seq: seq === 42 ? '42' : 42 }, keyFor)).toBe('invalid');
    }
  });

  it('parses only checkpoint-shaped JSON', () => {
    const signed = signTreeHead(head, { kid: 'k1', privateKey });
    expect(parseAuditCheckpoint('not json')).toBeUndefined();
    expect(parseAuditCheckpoint('null')).toBeUndefined();
    expect(parseAuditCheckpoint(JSON.stringify({ ...head, treeSize: 42, kid: 'k1' }))).toBeUndefined();
    for (const treeSize of [-1, 1.5, '42', null])
      expect(parseAuditCheckpoint(JSON.stringify({ ...signed, treeSize })), String(treeSize)).toBeUndefined();
    expect(parseAuditCheckpoint(JSON.stringify({ ...signed, rootHash: 'A'.repeat(64) }))).toBeUndefined();
    for (const seq of [-1, 1.5, '042', null])
      expect(
        parseAuditCheckpoint(JSON.stringify({ seq, hash: 'c'.repeat(64), at: head.at, kid: 'k1', jws: 'x' })),
        String(seq),
      ).toBeUndefined();
  });
});
