import { sign, verify, type KeyObject } from 'node:crypto';
import type { AuditCheckpointHead } from './audit-log.service.js';

/**
 * A signed tree head: the audit log's size and Merkle root at a moment, signed with the API's
 * current token-signing key (ES256, verifiable with the JWKS), for keeping outside the
 * database. `GET /audit/tree-head` and `orderops audit checkpoint` give the same object:
 *
 *   {"treeSize":1042,"rootHash":"<64 hex>","at":"<ISO time the head was made>",
 *    "kid":"<signing key id>","jws":"<compact JWS>"}
 *
 * `jws` is authoritative: header {"alg":"ES256","kid":...,"typ":"orderops-audit-tree-head"},
 * payload {"treeSize","rootHash","at"}. The readable members must equal the signed payload,
 * types included.
 *
 * Checkpoints taken before the Merkle log name a chain head instead ({"seq","hash","at",
 * "kid","jws"}, typ "orderops-audit-checkpoint", seq an integer or a decimal string): they
 * still parse and verify, and are compared with the chained events they name.
 */
export interface SignedTreeHead {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly at: string;
  readonly kid: string;
  readonly jws: string;
}

/** A checkpoint of the hash chain that preceded the Merkle log. */
export interface SignedChainCheckpoint {
  readonly seq: number | string;
  readonly hash: string;
  readonly at: string;
  readonly kid: string;
  readonly jws: string;
}

export type SignedAuditCheckpoint = SignedTreeHead | SignedChainCheckpoint;

export const TREE_HEAD_TYP = 'orderops-audit-tree-head';
export const CHAIN_CHECKPOINT_TYP = 'orderops-audit-checkpoint';
const ALG = 'ES256';

export type CheckpointSignature = 'valid' | 'invalid' | 'unknown_key';

const b64 = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const HEX64 = /^[0-9a-f]{64}$/;

export const isTreeHead = (checkpoint: SignedAuditCheckpoint): checkpoint is SignedTreeHead =>
  'treeSize' in checkpoint;

/** What a checkpoint names, in the log's own terms. */
export function checkpointHead(checkpoint: SignedAuditCheckpoint): AuditCheckpointHead {
  return isTreeHead(checkpoint)
    ? { treeSize: String(checkpoint.treeSize), rootHash: checkpoint.rootHash }
    : { seq: String(checkpoint.seq), hash: checkpoint.hash };
}

export function signTreeHead(
  head: { readonly treeSize: string; readonly rootHash: string; readonly at: string },
  signer: { readonly kid: string; readonly privateKey: KeyObject },
): SignedTreeHead {
  const treeSize = Number(head.treeSize);
  // A log past 2^53 events is not a concern of this century; refuse rather than round.
  if (!Number.isSafeInteger(treeSize))
    throw new RangeError(`tree size ${head.treeSize} is not a safe integer`);
  const payload = { treeSize, rootHash: head.rootHash, at: head.at };
  const input = `${b64({ alg: ALG, kid: signer.kid, typ: TREE_HEAD_TYP })}.${b64(payload)}`;
  const signature = sign('sha256', Buffer.from(input, 'ascii'), {
    key: signer.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return { ...payload, kid: signer.kid, jws: `${input}.${signature.toString('base64url')}` };
}

function isSigned(v: Record<string, unknown>): boolean {
  return typeof v.at === 'string' && typeof v.kid === 'string' && typeof v.jws === 'string';
}

function isTreeHeadShape(v: Record<string, unknown>): boolean {
  return (
    typeof v.treeSize === 'number' &&
    Number.isSafeInteger(v.treeSize) &&
    v.treeSize >= 0 &&
    typeof v.rootHash === 'string' &&
    HEX64.test(v.rootHash) &&
    isSigned(v)
  );
}

function isChainCheckpointShape(v: Record<string, unknown>): boolean {
  return (
    ((typeof v.seq === 'number' && Number.isSafeInteger(v.seq) && v.seq >= 0) ||
      (typeof v.seq === 'string' && /^(0|[1-9][0-9]{0,17})$/.test(v.seq))) &&
    typeof v.hash === 'string' &&
    HEX64.test(v.hash) &&
    isSigned(v)
  );
}

/** Parses a checkpoint file's text; undefined when it is not one. */
export function parseAuditCheckpoint(text: string): SignedAuditCheckpoint | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const v = parsed as Record<string, unknown>;
  if ('treeSize' in v) return isTreeHeadShape(v) ? (parsed as SignedTreeHead) : undefined;
  return isChainCheckpointShape(v) ? (parsed as SignedChainCheckpoint) : undefined;
}

/** The readable members a checkpoint claims were signed, by its kind. */
function claimed(checkpoint: SignedAuditCheckpoint): { typ: string; payload: Record<string, unknown> } {
  return isTreeHead(checkpoint)
    ? {
        typ: TREE_HEAD_TYP,
        payload: { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, at: checkpoint.at },
      }
    : {
        typ: CHAIN_CHECKPOINT_TYP,
        payload: { seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at },
      };
}

/**
 * Checks the JWS with the key its `kid` names, and that the readable members are exactly
 * what was signed. `keyFor` resolves a key id to a public key (undefined when unknown).
 */
export async function verifyAuditCheckpoint(
  checkpoint: SignedAuditCheckpoint,
  keyFor: (kid: string) => Promise<KeyObject | undefined>,
): Promise<CheckpointSignature> {
  const parts = checkpoint.jws.split('.');
  if (parts.length !== 3) return 'invalid';
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'invalid';
  }
  const expected = claimed(checkpoint);
  if (header.alg !== ALG || header.typ !== expected.typ || header.kid !== checkpoint.kid) return 'invalid';
  const keys = Object.keys(expected.payload);
  if (Object.keys(payload).length !== keys.length || keys.some((k) => payload[k] !== expected.payload[k])) {
    return 'invalid';
  }
  const key = await keyFor(checkpoint.kid);
  if (!key) return 'unknown_key';
  const ok = verify(
    'sha256',
    Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(parts[2], 'base64url'),
  );
  return ok ? 'valid' : 'invalid';
}
