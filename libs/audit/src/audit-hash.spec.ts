import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_GENESIS_HASH,
  canonicalAuditEvent,
  canonicalJson,
  computeAuditHash,
  type HashedAuditFields,
} from './audit-hash.js';

const event: HashedAuditFields = {
  seq: '7',
  id: '0b9c4a52-3f6e-4d4c-9a43-2c1f0e5d7a10',
  at: new Date('2026-01-02T03:04:05.678Z'),
  actor: 'ptn_abc',
  actorType: 'client',
  action: 'auth.token.issued',
  targetType: 'access_token',
  targetId: 'f1d2c3b4-0000-4000-8000-000000000001',
  outcome: 'success',
  requestId: 'req-12345678',
  details: { grant: 'client_credentials', scopes: ['orders:read'], n: 2 },
};

describe('canonical serialization', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
    expect(canonicalJson({ a: { c: null, d: [3, 1] }, b: 1 })).toBe(
      canonicalJson({ b: 1, a: { d: [3, 1], c: null } }),
    );
  });

  it('is a fixed, versioned field order (a change here breaks every stored chain)', () => {
    expect(canonicalAuditEvent(event)).toBe(
      '["orderops-audit-v1","7","0b9c4a52-3f6e-4d4c-9a43-2c1f0e5d7a10","2026-01-02T03:04:05.678Z",' +
        '"ptn_abc","client","auth.token.issued","access_token","f1d2c3b4-0000-4000-8000-000000000001",' +
        '"success","req-12345678",{"grant":"client_credentials","n":2,"scopes":["orders:read"]}]',
    );
  });

  it('keeps a missing target apart from an empty one', () => {
    const none = canonicalAuditEvent({ ...event, targetType: null, targetId: null });
    const empty = canonicalAuditEvent({ ...event, targetType: '', targetId: '' });
    expect(none).not.toBe(empty);
  });

  it('does not let one field bleed into the next', () => {
    const a = canonicalAuditEvent({ ...event, actor: 'ab', actorType: 'c' });
    const b = canonicalAuditEvent({ ...event, actor: 'a', actorType: 'bc' });
    expect(a).not.toBe(b);
  });
});

describe('event hash', () => {
  it('is SHA-256 over prev_hash then the canonical serialization', () => {
    const expected = createHash('sha256')
      .update(AUDIT_GENESIS_HASH + canonicalAuditEvent(event))
      .digest('hex');
    expect(computeAuditHash(AUDIT_GENESIS_HASH, event)).toBe(expected);
    expect(computeAuditHash(AUDIT_GENESIS_HASH, event)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has a fixed genesis, the one the migration seeds', () => {
    expect(AUDIT_GENESIS_HASH).toBe('765134e38e285fe60a3c1e5e229e8136c0f6b9fef05611efec1904aeb4fdb241');
  });

  it('changes when any field or the predecessor changes', () => {
    const base = computeAuditHash(AUDIT_GENESIS_HASH, event);
    const variants: HashedAuditFields[] = [
      { ...event, seq: '8' },
      { ...event, id: '0b9c4a52-3f6e-4d4c-9a43-2c1f0e5d7a11' },
      { ...event, at: new Date(event.at.getTime() + 1) },
      { ...event, actor: 'ptn_abd' },
      { ...event, actorType: 'operator' },
      { ...event, action: 'auth.token.revoked' },
      { ...event, targetType: 'client' },
      { ...event, targetId: null },
      { ...event, outcome: 'failure' },
      { ...event, requestId: null },
      { ...event, details: { ...event.details, n: 3 } },
    ];
    for (const variant of variants) expect(computeAuditHash(AUDIT_GENESIS_HASH, variant)).not.toBe(base);
    expect(computeAuditHash('0'.repeat(64), event)).not.toBe(base);
  });

  it('does not depend on the key order of details (jsonb does not keep it)', () => {
    const reordered = { ...event, details: { scopes: ['orders:read'], n: 2, grant: 'client_credentials' } };
    expect(computeAuditHash(AUDIT_GENESIS_HASH, reordered)).toBe(computeAuditHash(AUDIT_GENESIS_HASH, event));
  });
});
