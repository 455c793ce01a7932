import { randomBytes } from 'node:crypto';

export const MASTER_KEY_BYTES = 32;

/** One versioned key-encryption key from `ORDEROPS_MASTER_KEYS`. */
export interface MasterKey {
  /** Positive integer; stored next to everything the key wraps, so old data names its key. */
  readonly version: number;
  readonly key: Buffer;
}

/** The configured master keys; the first listed is the one new material is wrapped under. */
export class MasterKeyRing {
  readonly #byVersion: ReadonlyMap<number, MasterKey>;

  constructor(readonly keys: readonly MasterKey[]) {
    if (keys.length === 0) throw new Error('a master key ring needs at least one key');
    this.#byVersion = new Map(keys.map((k) => [k.version, k]));
  }

  get current(): MasterKey {
    return this.keys[0];
  }

  get versions(): number[] {
    return this.keys.map((k) => k.version);
  }

  find(version: number): MasterKey | undefined {
    return this.#byVersion.get(version);
  }

  toString(): string {
    return `MasterKeyRing(versions=${this.versions.join(',')})`;
  }

  toJSON(): { versions: number[] } {
    return { versions: this.versions };
  }
}

const ENTRY = /^v([1-9][0-9]{0,5}):([A-Za-z0-9+/]+={0,2})$/;

/**
 * Parses `v2:<base64>,v1:<base64>`. Returns the problems (never the values) instead of
 * throwing, so the config loader can report them together with every other setting.
 */
export function parseMasterKeys(text: string): { ring?: MasterKeyRing; problems: string[] } {
  const problems: string[] = [];
  const keys: MasterKey[] = [];
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) return { problems: ['is empty'] };

  entries.forEach((entry, index) => {
    const match = ENTRY.exec(entry);
    if (!match) {
      problems.push(`entry ${index + 1} is not of the form v<N>:<base64>`);
      return;
    }
    const version = Number(match[1]);
    const key = Buffer.from(match[2], 'base64');
    if (key.length !== MASTER_KEY_BYTES) {
      problems.push(`key v${version} must decode to ${MASTER_KEY_BYTES} bytes`);
      return;
    }
    if (key.every((b) => b === key[0])) {
      problems.push(`key v${version} is a placeholder (every byte the same)`);
      return;
    }
    if (keys.some((k) => k.version === version)) {
      problems.push(`version v${version} is listed twice`);
      return;
    }
    keys.push({ version, key });
  });

  return problems.length > 0 ? { problems } : { ring: new MasterKeyRing(keys), problems };
}

/** A fresh single-key ring in the configuration syntax, for development data directories. */
export function generateMasterKeysText(): string {
  return `v1:${randomBytes(MASTER_KEY_BYTES).toString('base64')}`;
}
