import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * A checkpoint: the chain head at a moment, signed with the API's current token-signing key
 * (ES256), for keeping outside the database. Format (one JSON object):
 *
 *   {"seq":1042,"hash":"<64 hex>","at":"<ISO time the checkpoint was taken>",
 *    "kid":"<signing key id>","jws":"<compact JWS>"}
 *
 * `jws` is authoritative: header {"alg":"ES256","kid":...,"typ":"orderops-audit-checkpoint"},
 * payload {"seq","hash","at"}. The readable members must equal the signed payload, type
 * included. `seq` is a JSON integer, as in every other report of the chain (`audit verify`,
 * GET /audit/verify); checkpoints taken before carry it as a decimal string, and still verify.
 */
export interface AuditCheckpoint {
  /** Decimal, as the chain stores it (bigint). */
  readonly seq: string;
  readonly hash: string;
  readonly at: string;
}

export interface SignedAuditCheckpoint {
  /** An integer; a decimal string in checkpoints taken by earlier versions. */
  readonly seq: number | string;
  readonly hash: string;
  readonly at: string;
  readonly kid: string;
  readonly jws: string;
}

/** The chain head a signed checkpoint names, in the chain's own terms. */
export function checkpointHead(checkpoint: SignedAuditCheckpoint): { seq: string; hash: string } {
  return { seq: String(checkpoint.seq), hash: checkpoint.hash };
}

export const CHECKPOINT_TYP = 'orderops-audit-checkpoint';
const ALG = 'ES256';

export type CheckpointSignature = 'valid' | 'invalid' | 'unknown_key';

const b64 = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export function signAuditCheckpoint(
  checkpoint: AuditCheckpoint,
  signer: { readonly kid: string; readonly privateKey: KeyObject },
): SignedAuditCheckpoint {
  const seq = Number(checkpoint.seq);
  // A chain past 2^53 events is not a concern of this century; refuse rather than round.
  if (!Number.isSafeInteger(seq)) throw new RangeError(`audit seq ${checkpoint.seq} is not a safe integer`);
  const payload = { seq, hash: checkpoint.hash, at: checkpoint.at };
  const input = `${b64({ alg: ALG, kid: signer.kid, typ: CHECKPOINT_TYP })}.${b64(payload)}`;
  const signature = sign('sha256', Buffer.from(input, 'ascii'), {
    key: signer.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return { ...payload, kid: signer.kid, jws: `${input}.${signature.toString('base64url')}` };
}

function isCheckpointShape(value: unknown): value is SignedAuditCheckpoint {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    ((typeof v.seq === 'number' && Number.isSafeInteger(v.seq) && v.seq >= 0) ||
      (typeof v.seq === 'string' && /^(0|[1-9][0-9]{0,17})$/.test(v.seq))) &&
    typeof v.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(v.hash) &&
    typeof v.at === 'string' &&
    typeof v.kid === 'string' &&
    typeof v.jws === 'string'
  );
}

/** Parses a checkpoint file's text; undefined when it is not one. */
export function parseAuditCheckpoint(text: string): SignedAuditCheckpoint | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isCheckpointShape(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
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
  if (header.alg !== ALG || header.typ !== CHECKPOINT_TYP || header.kid !== checkpoint.kid) return 'invalid';
  if (payload.seq !== checkpoint.seq || payload.hash !== checkpoint.hash || payload.at !== checkpoint.at) {
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
