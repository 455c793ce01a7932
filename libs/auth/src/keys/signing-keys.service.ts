import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AuditService, type AuditActor } from '@orderops/audit';
import { InjectConfig, open, seal, sealedKeyVersion, type AppConfig } from '@orderops/core';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { SigningKeysRepository } from './signing-keys.repository.js';

export const SIGNING_ALGORITHM = 'ES256';
/** Access tokens never live longer than this (ACCESS_TOKEN_TTL_SECONDS is capped at it). */
const MAX_ACCESS_TOKEN_TTL_SECONDS = 3600;
/** Replicas re-read the key table this often, so a rotation elsewhere reaches them. */
const REFRESH_INTERVAL_MS = 60_000;
/** An unknown `kid` triggers a re-read at most this often (random kids must not hammer the DB). */
const UNKNOWN_KID_RELOAD_MS = 5_000;
const VERIFY_LEEWAY_SECONDS = 30;

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: string;
  use: 'sig';
}

export interface SigningKeySummary {
  kid: string;
  algorithm: string;
  createdAt: string;
  retiredAt: string | null;
  verifyUntil: string | null;
  active: boolean;
}

interface LoadedKey {
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly jwk: PublicJwk;
}

const sealContext = (kid: string): string => `signing_keys|private_key|${kid}`;

/** RFC 7638 thumbprint of an EC public key: a stable, content-derived key id. */
function thumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * Token-signing keys: ES256 key pairs in the database with the private half sealed under
 * the master key. One key signs; retired keys keep verifying until every token they
 * signed has expired; the JWKS publishes exactly the keys that verify.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private verifying = new Map<string, LoadedKey>();
  private signer?: { kid: string; privateKey: KeyObject };
  private lastReload = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly signingKeys: SigningKeysRepository,
    @InjectConfig() private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.ensureActiveKey();
    await this.resealUnderCurrentMasterKey();
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch(() => undefined), REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The key new tokens are signed with. */
  currentSigner(): { kid: string; privateKey: KeyObject } {
    if (!this.signer) throw new Error('no active signing key loaded');
    return this.signer;
  }

  /** The public key for a `kid`, re-reading the table (rate-limited) for kids not seen yet. */
  async publicKeyFor(kid: string): Promise<KeyObject | undefined> {
    const known = this.verifying.get(kid);
    if (known) return known.publicKey;
    if (Date.now() - this.lastReload < UNKNOWN_KID_RELOAD_MS) return undefined;
    await this.reload();
    return this.verifying.get(kid)?.publicKey;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: [...this.verifying.values()].map((k) => k.jwk) };
  }

  async list(): Promise<SigningKeySummary[]> {
    const rows = await this.signingKeys.list();
    const now = new Date();
    return rows.map((r) => ({
      kid: r.kid,
      algorithm: r.algorithm,
      createdAt: r.createdAt.toISOString(),
      retiredAt: r.retiredAt?.toISOString() ?? null,
      verifyUntil: r.verifyUntil?.toISOString() ?? null,
      active: r.retiredAt === null && (r.verifyUntil === null || r.verifyUntil > now),
    }));
  }

  /**
   * Makes a new key the signer. Previous signers retire: they stop signing now and verify
   * until the longest token they could have signed (plus the time a replica may take to
   * notice the rotation, plus clock leeway) has expired. Keys past that are deleted.
   * Audited as `admin.signing_key.rotated`.
   */
  async rotate(actor: AuditActor): Promise<{ kid: string; retired: string[] }> {
    const result = await this.dataSource.transaction(async (manager) => {
      const active = await this.signingKeys.listActiveForUpdate(manager);
      const now = new Date();
      const verifyUntil = new Date(
        now.getTime() + (MAX_ACCESS_TOKEN_TTL_SECONDS + VERIFY_LEEWAY_SECONDS) * 1000 + REFRESH_INTERVAL_MS,
      );
      for (const key of active) await this.signingKeys.retire(key.kid, now, verifyUntil, manager);
      await this.signingKeys.deleteExpired(manager);
      const kid = await this.createKey(manager);
      const retired = active.map((k) => k.kid);
      await this.audit.record(manager, {
        action: 'admin.signing_key.rotated',
        actor,
        target: { type: 'signing_key', id: kid },
        details: { retired },
      });
      return { kid, retired };
    });
    await this.reload();
    return result;
  }

  /**
   * After a master-key rotation (new version first in ORDEROPS_MASTER_KEYS), re-seals the
   * private keys still sealed under an older version, so that version can later be removed.
   */
  private async resealUnderCurrentMasterKey(): Promise<void> {
    const ring = this.config.masterKeys.reveal();
    await this.dataSource.transaction(async (manager) => {
      for (const key of await this.signingKeys.listAllForUpdate(manager)) {
        if (sealedKeyVersion(key.privateKeySealed) === ring.current.version) continue;
        const der = open(ring, key.privateKeySealed, sealContext(key.kid));
        await this.signingKeys.updateSealedPrivateKey(
          key.kid,
          seal(ring, der, sealContext(key.kid)),
          manager,
        );
      }
    });
  }

  private async ensureActiveKey(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if ((await this.signingKeys.countActive(manager)) === 0) await this.createKey(manager);
    });
  }

  private async createKey(manager: EntityManager): Promise<string> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string };
    const kid = thumbprint(jwk);
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    await this.signingKeys.create(
      {
        kid,
        algorithm: SIGNING_ALGORITHM,
        publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
        privateKeySealed: seal(this.config.masterKeys.reveal(), pkcs8, sealContext(kid)),
        retiredAt: null,
        verifyUntil: null,
      },
      manager,
    );
    return kid;
  }

  /**
   * The public key of any stored key, retired or not, for checking signatures made long ago
   * (audit checkpoints). Keys deleted after their verification window are gone for good.
   */
  async storedPublicKey(kid: string): Promise<KeyObject | undefined> {
    const row = await this.signingKeys.getByKid(kid);
    return row ? createPublicKey({ key: row.publicJwk, format: 'jwk' }) : undefined;
  }

  /** Re-reads the keys that still verify, and the newest active key as signer. */
  async reload(): Promise<void> {
    this.lastReload = Date.now();
    const rows = await this.signingKeys.listVerifying(new Date());
    const verifying = new Map<string, LoadedKey>();
    for (const row of rows) {
      const jwk = row.publicJwk as { kty: string; crv: string; x: string; y: string };
      verifying.set(row.kid, {
        kid: row.kid,
        publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
        jwk: { ...jwk, kid: row.kid, alg: row.algorithm, use: 'sig' },
      });
    }
    const active = rows.find((r) => r.retiredAt === null);
    if (active && active.kid !== this.signer?.kid) {
      const der = open(this.config.masterKeys.reveal(), active.privateKeySealed, sealContext(active.kid));
      this.signer = {
        kid: active.kid,
        privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      };
    }
    this.verifying = verifying;
  }
}
