import { AuditSequencer, AuditService } from '@orderops/audit';
import {
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loggedEvents, sequenceNow } from '../support/audit.js';
import { bearer, clientTokenFor } from '../support/auth.js';
import { mth, path, proof, rfcVerifyConsistency, rfcVerifyInclusion } from '../support/rfc9162.js';
import { databaseKind } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';

interface SignedHead {
  treeSize: number;
  rootHash: string;
  at: string;
  kid: string;
  jws: string;
}

interface InclusionBody {
  seq: number;
  treeSize: number;
  leafHash: string;
  rootHash: string;
  proof: string[];
}

interface ConsistencyBody {
  from: number;
  to: number;
  fromRoot: string;
  toRoot: string;
  proof: string[];
}

type Jwk = JsonWebKey & { kid: string };

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const unb64 = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * A compact ES256 JWS checked with node:crypto alone (not the service's verifier): the key
 * its header names in the JWKS, the header's alg and typ, the signature over the first two
 * parts. Returns the payload when all hold, undefined otherwise.
 */
function verifiedTreeHead(jws: string, keys: readonly Jwk[]): Record<string, unknown> | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3) return undefined;
  const header = unb64(parts[0]);
  if (header.alg !== 'ES256' || header.typ !== 'orderops-audit-tree-head') return undefined;
  const jwk = keys.find((k) => k.kid === header.kid);
  if (jwk === undefined) return undefined;
  const key: KeyObject = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = verify(
    'sha256',
    Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(parts[2], 'base64url'),
  );
  return ok ? unb64(parts[1]) : undefined;
}

/**
 * The proofs an auditor is given, checked by the independent RFC 9162 verifier in
 * test/support/rfc9162.ts against the leaf hashes read straight from the database and
 * against the signed tree head: every position in several trees, every pair of a set of
 * sizes, and the requests the routes must refuse.
 */
describe(`audit proofs (${databaseKind})`, () => {
  const t = useTestApp({
    env: { RATE_LIMIT_PER_MINUTE: '100000', STRICT_RATE_LIMIT_PER_MINUTE: '100000' },
    operators: { auditor: ['audit:read'], clerk: ['orders:read'] },
    clients: { partner: ['orders:read'] },
  });
  const EVENTS = 40;
  let ds: DataSource;
  let auditor: string;
  /** Leaf hashes of the whole log, in seq order, as stored. */
  let leaves: Buffer[];
  let head: SignedHead;
  let sizes: number[];

  /** GET as the auditor, as someone else, or (null) with no token at all. */
  const get = (url: string, token: string | null = auditor) =>
    t.app.inject({ method: 'GET', url, headers: token === null ? {} : bearer(token) });
  const getOk = async <T>(url: string): Promise<T> => {
    const res = await get(url);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json<T>();
  };
  const readLeaves = async (): Promise<Buffer[]> => (await loggedEvents(ds)).map((e) => hex(e.leaf_hash));

  beforeAll(async () => {
    ds = t.app.get(DataSource);
    auditor = t.token('auditor');
    // Setup recorded a few events; token grants (one event each) bring the log past EVENTS.
    await sequenceNow(t.app);
    const missing = EVENTS - (await loggedEvents(ds)).length;
    for (let i = 0; i < missing; i++) await clientTokenFor(t.app, t.client('partner'));
    head = await getOk<SignedHead>('/audit/tree-head');
    leaves = await readLeaves();
    expect(leaves.length).toBeGreaterThanOrEqual(EVENTS);
    const n = leaves.length;
    // Edges of the RFC's recursion: powers of two, one either side, odd sizes, the head.
    sizes = [...new Set([1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, n - 1, n])]
      .filter((s) => s >= 1 && s <= n)
      .sort((a, b) => a - b);
  });

  it('the signed tree head is the RFC 9162 root of the leaves stored in the database', () => {
    expect(head.treeSize).toBe(leaves.length);
    expect(head.rootHash).toBe(mth(leaves).toString('hex'));
  });

  it('gives for every event, in trees of several sizes, an inclusion proof the independent verifier accepts', async () => {
    let checked = 0;
    for (const size of sizes) {
      const tree = leaves.slice(0, size);
      const root = mth(tree);
      for (let seq = 1; seq <= size; seq++) {
        const query = size === leaves.length ? '' : `?treeSize=${size}`;
        const body = await getOk<InclusionBody>(`/audit/events/${seq}/proof${query}`);
        expect(body).toMatchObject({ seq, treeSize: size, leafHash: tree[seq - 1].toString('hex') });
        expect(body.rootHash).toBe(root.toString('hex'));
        const audit = body.proof.map(hex);
        expect(audit).toEqual(path(seq - 1, tree));
        expect(rfcVerifyInclusion(seq - 1, size, tree[seq - 1], audit, root), `${seq} in ${size}`).toBe(true);
        if (size === leaves.length) expect(body.rootHash).toBe(head.rootHash);
        checked++;
      }
    }
    expect(checked).toBe(sizes.reduce((sum, s) => sum + s, 0));
  });

  it('the verifier can fail: a proof for another leaf, a changed path element or another root is refused', async () => {
    const size = leaves.length;
    const seq = 6;
    const body = await getOk<InclusionBody>(`/audit/events/${seq}/proof`);
    const audit = body.proof.map(hex);
    const root = hex(head.rootHash);
    expect(rfcVerifyInclusion(seq - 1, size, leaves[seq - 1], audit, root)).toBe(true);
    expect(rfcVerifyInclusion(seq - 1, size, leaves[seq], audit, root)).toBe(false);
    expect(rfcVerifyInclusion(seq, size, leaves[seq - 1], audit, root)).toBe(false);
    const bent = audit.map((p, i) => (i === 1 ? Buffer.from(p.map((b) => b ^ 1)) : p));
    expect(rfcVerifyInclusion(seq - 1, size, leaves[seq - 1], bent, root)).toBe(false);
    expect(rfcVerifyInclusion(seq - 1, size, leaves[seq - 1], audit, mth(leaves.slice(0, size - 1)))).toBe(
      false,
    );
  });

  it('gives for every pair of sizes a consistency proof equal to PROOF(m, D[n]) that the verifier accepts', async () => {
    let checked = 0;
    for (const m of sizes) {
      for (const n of sizes.filter((s) => s >= m)) {
        const body = await getOk<ConsistencyBody>(`/audit/consistency?from=${m}&to=${n}`);
        const tree = leaves.slice(0, n);
        const fromRoot = mth(leaves.slice(0, m));
        const toRoot = mth(tree);
        expect(body).toMatchObject({ from: m, to: n });
        expect(body.fromRoot).toBe(fromRoot.toString('hex'));
        expect(body.toRoot).toBe(toRoot.toString('hex'));
        const consistency = body.proof.map(hex);
        expect(consistency).toEqual(proof(m, tree));
        expect(rfcVerifyConsistency(m, n, fromRoot, toRoot, consistency), `${m} -> ${n}`).toBe(true);
        if (m < n) {
          // The same proof does not tie the older root to another newer one, nor the reverse.
          expect(rfcVerifyConsistency(m, n, toRoot, fromRoot, consistency)).toBe(false);
          expect(rfcVerifyConsistency(m, n, fromRoot, mth(leaves.slice(0, n - 1)), consistency)).toBe(false);
        }
        checked++;
      }
    }
    expect(checked).toBe((sizes.length * (sizes.length + 1)) / 2);
  });

  describe('the tree head signature, checked with the JWKS and node:crypto only', () => {
    let keys: Jwk[];
    beforeAll(async () => {
      keys = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: Jwk[] }>()
        .keys;
    });

    it('verifies, and its readable members equal the signed payload', () => {
      const [header] = head.jws.split('.');
      expect(unb64(header)).toEqual({ alg: 'ES256', kid: head.kid, typ: 'orderops-audit-tree-head' });
      expect(verifiedTreeHead(head.jws, keys)).toEqual({
        treeSize: head.treeSize,
        rootHash: head.rootHash,
        at: head.at,
      });
      expect(new Date(head.at).toISOString()).toBe(head.at);
    });

    it('a forged head is refused: payload edited, or signed with a key the JWKS does not hold', () => {
      const [header, payload, signature] = head.jws.split('.');
      const edited = Buffer.from(
        JSON.stringify({ ...unb64(payload), treeSize: head.treeSize + 1 }),
        'utf8',
      ).toString('base64url');
      expect(verifiedTreeHead(`${header}.${edited}.${signature}`, keys)).toBeUndefined();
      const rooted = Buffer.from(
        JSON.stringify({ ...unb64(payload), rootHash: mth(leaves.slice(1)).toString('hex') }),
        'utf8',
      ).toString('base64url');
      expect(verifiedTreeHead(`${header}.${rooted}.${signature}`, keys)).toBeUndefined();
      // Another P-256 key, claiming the real kid.
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const forged = sign('sha256', Buffer.from(`${header}.${payload}`, 'ascii'), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      }).toString('base64url');
      expect(verifiedTreeHead(`${header}.${payload}.${forged}`, keys)).toBeUndefined();
      // The check itself accepts the genuine article (it is not refusing everything).
      expect(verifiedTreeHead(`${header}.${payload}.${signature}`, keys)).toBeDefined();
    });
  });

  describe('refused requests', () => {
    const expectProblem = async (url: string, status: number, type: string, token?: string) => {
      const res = await get(url, token ?? auditor);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json<{ type: string }>().type).toBe(`urn:orderops:problem:${type}`);
      return res.json<{ type: string; errors?: { field: string }[] }>();
    };

    it('a tree larger than the head, a position past the tree, from > to or to past the head: 400 audit-proof-out-of-range', async () => {
      const n = leaves.length;
      const outOfRange = [
        [`/audit/events/1/proof?treeSize=${n + 1}`, 'treeSize'],
        [`/audit/events/5/proof?treeSize=4`, 'seq'],
        [`/audit/events/${n}/proof?treeSize=${n - 1}`, 'seq'],
        [`/audit/consistency?from=5&to=4`, 'from'],
        [`/audit/consistency?from=1&to=${n + 1}`, 'to'],
      ] as const;
      for (const [url, field] of outOfRange) {
        const problem = await expectProblem(url, 400, 'audit-proof-out-of-range');
        expect(problem.errors?.map((e) => e.field)).toEqual([field]);
      }
    });

    it('a position not yet sequenced: 404 audit-event-not-in-log, then a proof once the sequencer ran', async () => {
      const sequencer = t.app.get(AuditSequencer);
      // This case decides when the sequencer runs: the background poll stops (drain still works).
      await sequencer.onModuleDestroy();
      await sequenceNow(t.app);
      const size = (await readLeaves()).length;
      await t.app
        .get(AuditService)
        .recordAlone({ action: 'test.proofs.pending', actor: { type: 'system', id: 'test' } });
      const [pending] = await ds.query<{ seq: string | null }[]>(
        `SELECT seq FROM audit_events WHERE action = 'test.proofs.pending'`,
      );
      expect(pending.seq).toBeNull();
      await expectProblem(`/audit/events/${size + 1}/proof`, 404, 'audit-event-not-in-log');
      await expectProblem(`/audit/events/${size + 1}/proof?treeSize=${size}`, 404, 'audit-event-not-in-log');
      await expectProblem(`/audit/events/${size + 1000}/proof`, 404, 'audit-event-not-in-log');
      await sequenceNow(t.app);
      const now = await readLeaves();
      expect(now).toHaveLength(size + 1);
      const body = await getOk<InclusionBody>(`/audit/events/${size + 1}/proof`);
      expect(rfcVerifyInclusion(size, size + 1, now[size], body.proof.map(hex), mth(now))).toBe(true);
    });

    it.each([
      '/audit/events/0/proof',
      '/audit/events/-1/proof',
      '/audit/events/abc/proof',
      '/audit/events/1.5/proof',
      '/audit/events/99999999999999999999/proof',
      '/audit/events/1/proof?treeSize=0',
      '/audit/events/1/proof?treeSize=two',
      '/audit/events/1/proof?treeSize=2.5',
      '/audit/events/1/proof?treeSize=99999999999999999999',
      '/audit/consistency?from=0&to=1',
      '/audit/consistency?from=1',
      '/audit/consistency?to=1',
      '/audit/consistency?from=x&to=1',
      '/audit/consistency?from=1&to=1.5',
      '/audit/consistency?from=1&to=99999999999999999999',
      '/audit/consistency?from=-3&to=1',
    ])('%s: 400 validation-failed problem+json', async (url) => {
      await expectProblem(url, 400, 'validation-failed');
    });

    it('needs a token (401) with audit:read (403), on every proof route', async () => {
      const clerk = t.token('clerk');
      for (const url of ['/audit/tree-head', '/audit/events/1/proof', '/audit/consistency?from=1&to=2']) {
        expect((await get(url, null)).statusCode, url).toBe(401);
        expect((await get(url, clerk)).statusCode, url).toBe(403);
        expect((await get(url)).statusCode, url).toBe(200);
      }
    });
  });
});
