import { Injectable } from '@nestjs/common';
import { AuditService } from '@orderops/audit';
import { InjectConfig, type AppConfig } from '@orderops/core';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { RefreshTokenEntity } from './refresh-token.entity.js';
import { RefreshTokensRepository } from './refresh-tokens.repository.js';

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 256 random bits, base64url: unguessable, so a fast hash stores it safely. */
function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A family stands while its operator is enabled and still at the token generation the
 * family was started under: any change to scopes, password or status ends it.
 */
export function familyStands(
  record: Pick<RefreshTokenEntity, 'operatorGeneration'>,
  operator: { disabledAt: Date | null; tokenGeneration: number } | null,
): boolean {
  return (
    operator !== null &&
    operator.disabledAt === null &&
    record.operatorGeneration === operator.tokenGeneration
  );
}

export type RefreshOutcome =
  | { ok: true; record: RefreshTokenEntity; token: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' | 'wrong_client' };

/**
 * Opaque refresh tokens in rotation families: every use spends the token and issues its
 * successor; presenting a spent token again revokes the whole family (RFC 9700 §4.14.2).
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly refreshTokens: RefreshTokensRepository,
    @InjectConfig() private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /**
   * Starts a new family at login, in the caller's transaction. `amr` says how that sign-in
   * was authenticated (`['pwd']`, `['pwd', 'otp']`); every refresh of the family keeps it.
   */
  async start(
    manager: EntityManager,
    operator: { id: string; tokenGeneration: number },
    clientId: string,
    scopes: readonly string[],
    amr: readonly string[],
  ): Promise<{ token: string; familyId: string }> {
    const now = new Date();
    const familyExpiresAt = new Date(now.getTime() + this.config.auth.refreshTokenMaxLifetimeSeconds * 1000);
    const familyId = randomUUID();
    const token = await this.insert(manager, {
      familyId,
      operatorId: operator.id,
      operatorGeneration: operator.tokenGeneration,
      clientId,
      scopes: [...scopes],
      amr: [...amr],
      familyIssuedAt: now,
      familyExpiresAt,
    });
    return { token, familyId };
  }

  /**
   * Spends `token` for `clientId` and issues its successor with `scopes`, all in one
   * transaction with the row locked, so two concurrent uses cannot both succeed. `issued`
   * runs last in that transaction (the caller records the issuance there). A reused or
   * leaked token revokes its family and is audited as `auth.refresh.reuse_detected`.
   */
  async rotate(
    token: string,
    clientId: string,
    narrow: (record: RefreshTokenEntity, manager: EntityManager) => Promise<readonly string[]>,
    issued: (record: RefreshTokenEntity, manager: EntityManager) => Promise<void>,
  ): Promise<RefreshOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const record = await this.refreshTokens.getByHashForUpdate(hashRefreshToken(token), manager);
      if (!record) return { ok: false, reason: 'unknown' };
      if (record.clientId !== clientId) {
        // Another client holding this token means it leaked: the family is no longer safe.
        await this.refreshTokens.revokeFamily(record.familyId, manager);
        await this.recordReuse(manager, record, clientId, 'wrong_client');
        return { ok: false, reason: 'wrong_client' };
      }
      if (record.revokedAt) return { ok: false, reason: 'revoked' };
      if (record.usedAt) {
        await this.refreshTokens.revokeFamily(record.familyId, manager);
        await this.recordReuse(manager, record, clientId, 'reused');
        return { ok: false, reason: 'reused' };
      }
      const now = new Date();
      if (record.idleExpiresAt <= now || record.familyExpiresAt <= now)
        return { ok: false, reason: 'expired' };
      // Everything in this transaction goes through `manager`: on the embedded database a
      // query on another connection would wait for this transaction, which waits for it.
      const scopes = await narrow(record, manager);
      await this.refreshTokens.markUsed(record.id, now, manager);
      const successor = await this.insert(manager, {
        familyId: record.familyId,
        operatorId: record.operatorId,
        operatorGeneration: record.operatorGeneration,
        clientId: record.clientId,
        scopes: [...scopes],
        amr: record.amr,
        familyIssuedAt: record.familyIssuedAt,
        familyExpiresAt: record.familyExpiresAt,
      });
      const rotated = { ...record, scopes: [...scopes] };
      await issued(rotated, manager);
      return { ok: true, record: rotated, token: successor };
    });
  }

  /**
   * Revokes the family of `token` if it belongs to `clientId`, in the caller's transaction;
   * returns the family id, or undefined for an unknown (or another client's) token.
   */
  async revoke(manager: EntityManager, token: string, clientId: string): Promise<string | undefined> {
    const record = await this.refreshTokens.getByHash(hashRefreshToken(token), manager);
    if (!record || record.clientId !== clientId) return undefined;
    await this.refreshTokens.revokeFamily(record.familyId, manager);
    return record.familyId;
  }

  /** The family id and the presenting client only: never the token, nor its hash. */
  private async recordReuse(
    manager: EntityManager,
    record: RefreshTokenEntity,
    presentedBy: string,
    reason: 'reused' | 'wrong_client',
  ): Promise<void> {
    await this.audit.record(manager, {
      action: 'auth.refresh.reuse_detected',
      actor: { type: 'client', id: presentedBy },
      outcome: 'denied',
      target: { type: 'refresh_token_family', id: record.familyId },
      details: { reason, operatorId: record.operatorId, familyRevoked: true },
    });
  }

  async find(token: string): Promise<RefreshTokenEntity | null> {
    return this.refreshTokens.getByHash(hashRefreshToken(token));
  }

  private async insert(
    manager: EntityManager,
    fields: Pick<
      RefreshTokenEntity,
      | 'familyId'
      | 'operatorId'
      | 'operatorGeneration'
      | 'clientId'
      | 'scopes'
      | 'amr'
      | 'familyIssuedAt'
      | 'familyExpiresAt'
    >,
  ): Promise<string> {
    const token = newRefreshToken();
    const now = new Date();
    const idle = new Date(now.getTime() + this.config.auth.refreshTokenIdleSeconds * 1000);
    await this.refreshTokens.create(
      {
        ...fields,
        tokenHash: hashRefreshToken(token),
        issuedAt: now,
        idleExpiresAt: idle < fields.familyExpiresAt ? idle : fields.familyExpiresAt,
        usedAt: null,
        revokedAt: null,
      },
      manager,
    );
    return token;
  }
}
