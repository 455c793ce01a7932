import { Injectable } from '@nestjs/common';
import { AuditService } from '@orderops/audit';
import { derivedHmacKey, InjectConfig, type AppConfig } from '@orderops/core';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { OperatorEntity } from '../operators/operator.entity.js';
import type { SessionEntity } from './session.entity.js';
import { AuthorizationCodesRepository } from '../authorize/authorization-codes.repository.js';
import { RefreshTokensRepository } from '../tokens/refresh-tokens.repository.js';
import { SessionsRepository } from './sessions.repository.js';

/** A session ends after this long unused, and in any case this long after sign-in. */
export const SESSION_IDLE_SECONDS = 30 * 60;
export const SESSION_MAX_SECONDS = 12 * 60 * 60;
/** A pre-session (the sign-in form's CSRF binding) lives this long. */
export const PRE_SESSION_SECONDS = 30 * 60;

/** What a CSRF token is bound to: the sign-in and second-factor forms' pre-session, or the session a logout or consent answers. */
export type CsrfPurpose = 'sign-in' | 'second-factor' | 'logout' | 'consent';

/** 256 random bits, base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export interface StartedSession {
  readonly session: SessionEntity;
  /** The cookie value; only its hash is stored. */
  readonly secret: string;
}

/**
 * Server-side browser sessions. The cookie carries a random secret, the row its hash; every
 * sign-in creates a new row and secret (no fixation: a secret the browser had before is
 * never promoted), and ending a session is a revocation, effective on every replica at once.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly codes: AuthorizationCodesRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly audit: AuditService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * A new session for an operator who just proved `amr`, audited as `auth.session.started`
   * (session id, client, methods; no username) in the same transaction. `previousSecret`, a
   * session cookie the browser already had, is revoked with it.
   */
  async start(
    operator: OperatorEntity,
    amr: readonly string[],
    clientId: string,
    previousSecret: string | undefined,
  ): Promise<StartedSession> {
    const secret = newSecret();
    const now = new Date();
    return this.dataSource.transaction(async (manager) => {
      if (previousSecret !== undefined) {
        const previous = await this.sessions.findLive(hashSecret(previousSecret), manager);
        if (previous) await this.sessions.revoke(previous.id, manager);
      }
      const session = await this.sessions.create(
        {
          secretHash: hashSecret(secret),
          operatorId: operator.id,
          lastSeenAt: now,
          idleExpiresAt: new Date(now.getTime() + SESSION_IDLE_SECONDS * 1000),
          expiresAt: new Date(now.getTime() + SESSION_MAX_SECONDS * 1000),
          authTime: now,
          amr: [...amr],
        },
        manager,
      );
      await this.audit.record(manager, {
        action: 'auth.session.started',
        actor: { type: 'operator', id: operator.id },
        target: { type: 'session', id: session.id },
        details: { clientId, amr: [...amr], ...this.network() },
      });
      return { session, secret };
    });
  }

  /** The live session behind a cookie value, its idle expiry moved forward; null otherwise. */
  async resume(secret: string | undefined): Promise<SessionEntity | null> {
    if (secret === undefined) return null;
    const session = await this.sessions.findLive(hashSecret(secret));
    if (!session) return null;
    const now = new Date();
    const idle = new Date(Math.min(now.getTime() + SESSION_IDLE_SECONDS * 1000, session.expiresAt.getTime()));
    await this.sessions.touch(session.id, now, idle);
    return { ...session, lastSeenAt: now, idleExpiresAt: idle };
  }

  /** The session if it is still live (for a code exchange, which has no cookie). */
  async findLive(id: string, manager?: EntityManager): Promise<SessionEntity | null> {
    return this.sessions.findLiveById(id, manager);
  }

  /**
   * Ends every session of the operator, in the caller's transaction (disable, password
   * change). Returns how many were live.
   */
  async endAllOf(operatorId: string, manager: EntityManager): Promise<number> {
    return this.sessions.revokeAllOfOperator(operatorId, manager);
  }

  /**
   * Ends the session behind a cookie value and revokes the refresh tokens issued from it
   * (through its codes), audited as `auth.session.ended` with the client that asked. False
   * when there was no live session.
   */
  async end(secret: string, clientId: string | undefined): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const session = await this.sessions.findLive(hashSecret(secret), manager);
      if (!session || !(await this.sessions.revoke(session.id, manager))) return false;
      const families = await this.codes.refreshFamiliesOfSession(session.id, manager);
      for (const familyId of families) await this.refreshTokens.revokeFamily(familyId, manager);
      await this.audit.record(manager, {
        action: 'auth.session.ended',
        actor: { type: 'operator', id: session.operatorId },
        target: { type: 'session', id: session.id },
        details: {
          reason: 'logout',
          ...(clientId ? { clientId } : {}),
          refreshFamiliesRevoked: families.length,
          ...this.network(),
        },
      });
      return true;
    });
  }

  /** Seconds until the session's absolute end, for the cookie's Max-Age. */
  secondsLeft(session: SessionEntity): number {
    return Math.max(0, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000));
  }

  /**
   * The sign-in form's CSRF token: an HMAC of the pre-session cookie under a key derived
   * from the master key, so a token works only with the browser's own pre-session and
   * nothing has to be stored for visitors who never sign in.
   */
  csrfToken(boundTo: string, purpose: CsrfPurpose = 'sign-in'): string {
    return createHmac('sha256', derivedHmacKey(this.config.masterKeys.reveal().current, `${purpose}-csrf`))
      .update(boundTo, 'utf8')
      .digest('base64url');
  }

  csrfTokenMatches(
    boundTo: string | undefined,
    token: string | undefined,
    purpose: CsrfPurpose = 'sign-in',
  ): boolean {
    if (boundTo === undefined || token === undefined) return false;
    const expected = Buffer.from(this.csrfToken(boundTo, purpose));
    const presented = Buffer.from(token);
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  }

  private network(): { network?: string } {
    const network = this.audit.requestNetwork();
    return network ? { network } : {};
  }
}
