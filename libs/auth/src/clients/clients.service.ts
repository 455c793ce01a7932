import { ALL_SCOPES, type Scope } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { AuditService, type AuditActor } from '@orderops/audit';
import { deriveKey, InjectConfig, type AppConfig } from '@orderops/core';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BuiltInClientError, ClientNotFoundError, PublicClientSecretError } from '../auth.errors.js';
import { ClientsRepository, type NewClientRow } from './clients.repository.js';
import type { ClientType, GrantType, OAuthClientEntity } from './oauth-client.entity.js';

export const WEB_CLIENT_ID = 'orderops-web';
export const DOCS_CLIENT_ID = 'orderops-docs';
export const BUILT_IN_CLIENT_IDS: readonly string[] = [WEB_CLIENT_ID, DOCS_CLIENT_ID];

const SECRET_KEY_PURPOSE = 'client-secret';

export interface NewClient {
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly grantTypes?: readonly GrantType[];
}

/** How long a rotated-out secret keeps working, by default and at most (seconds). */
export const PREVIOUS_SECRET_DEFAULT_SECONDS = 24 * 60 * 60;
export const PREVIOUS_SECRET_MAX_SECONDS = 7 * 24 * 60 * 60;

export interface RotatedSecret {
  readonly client: OAuthClientEntity;
  /** Shown once; only its keyed hash is stored. */
  readonly secret: string;
  /** Until when the replaced secret still authenticates; null when it stopped at once. */
  readonly previousValidUntil: Date | null;
}

export interface CreatedClient {
  readonly client: OAuthClientEntity;
  /** Shown once; only its keyed hash is stored. */
  readonly secret: string;
}

@Injectable()
export class ClientsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ClientsRepository,
    @InjectConfig() private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /**
   * Server-generated secrets carry 256 random bits, so HMAC-SHA-256 under a key derived
   * from the master key stores them safely and checks them in microseconds.
   */
  private secretHash(secret: string, keyVersion: number): string | undefined {
    const masterKey = this.config.masterKeys.reveal().find(keyVersion);
    if (!masterKey) return undefined;
    return createHmac('sha256', deriveKey(masterKey, SECRET_KEY_PURPOSE))
      .update(secret, 'utf8')
      .digest('hex');
  }

  /**
   * A confidential partner client (client_credentials) with a fresh secret, under a name no
   * other client has (409 otherwise, from the API and the CLI alike). Audited as
   * `admin.client.created` (id, scopes, grant types; not its name, which may name a person).
   */
  async create(input: NewClient, actor: AuditActor): Promise<CreatedClient> {
    const clientId = `ptn_${randomBytes(12).toString('base64url')}`;
    const secret = randomBytes(32).toString('base64url');
    const version = this.config.masterKeys.reveal().current.version;
    const client: NewClientRow = {
      clientId,
      name: input.name,
      type: 'confidential',
      firstParty: false,
      grantTypes: [...(input.grantTypes ?? ['client_credentials'])],
      scopes: [...input.scopes],
      secretHash: this.secretHash(secret, version) ?? null,
      secretKeyVersion: version,
    };
    // A taken name or id is the repository's ClientNameTakenError / ClientIdTakenError.
    const created = await this.dataSource.transaction(async (manager) => {
      const stored = await this.clients.create(client, manager);
      await this.audit.record(manager, {
        action: 'admin.client.created',
        actor,
        target: { type: 'client', id: clientId },
        details: { scopes: client.scopes, grantTypes: client.grantTypes },
      });
      return stored;
    });
    return { client: created, secret };
  }

  async list(): Promise<OAuthClientEntity[]> {
    return this.clients.list();
  }

  async get(clientId: string): Promise<OAuthClientEntity> {
    const client = await this.clients.getById(clientId);
    if (!client) throw new ClientNotFoundError();
    return client;
  }

  async find(clientId: string): Promise<OAuthClientEntity | null> {
    return this.clients.getById(clientId);
  }

  /**
   * Deletes a partner client; its refresh tokens go with it and its access tokens stop
   * verifying. Audited as `admin.client.deleted`.
   */
  async delete(clientId: string, actor: AuditActor): Promise<void> {
    if (BUILT_IN_CLIENT_IDS.includes(clientId)) throw new BuiltInClientError();
    await this.dataSource.transaction(async (manager) => {
      if (!(await this.clients.delete(clientId, manager))) throw new ClientNotFoundError();
      await this.audit.record(manager, {
        action: 'admin.client.deleted',
        actor,
        target: { type: 'client', id: clientId },
      });
    });
  }

  /**
   * A new secret for a confidential client, shown once. The replaced secret keeps working for
   * `previousValidForSeconds` (0 ends it now) so the partner can roll over without an outage;
   * only one previous secret is kept, so a second rotation inside the window ends the first
   * secret at once. Audited as `admin.client.secret_rotated` (the window, never a secret or
   * hash). Public clients have no secret: PublicClientSecretError.
   */
  async rotateSecret(
    clientId: string,
    previousValidForSeconds: number,
    actor: AuditActor,
  ): Promise<RotatedSecret> {
    const secret = randomBytes(32).toString('base64url');
    const version = this.config.masterKeys.reveal().current.version;
    return this.dataSource.transaction(async (manager) => {
      const client = await this.clients.getForUpdate(clientId, manager);
      if (!client) throw new ClientNotFoundError();
      if (client.type !== 'confidential' || client.secretHash === null) throw new PublicClientSecretError();
      const previousValidUntil =
        previousValidForSeconds > 0 ? new Date(Date.now() + previousValidForSeconds * 1000) : null;
      const rotation = {
        secretHash: this.secretHash(secret, version) ?? null,
        secretKeyVersion: version,
        previousSecretHash: previousValidUntil ? client.secretHash : null,
        previousSecretKeyVersion: previousValidUntil ? client.secretKeyVersion : null,
        previousSecretExpiresAt: previousValidUntil,
      };
      await this.clients.rotateSecret(clientId, rotation, manager);
      await this.audit.record(manager, {
        action: 'admin.client.secret_rotated',
        actor,
        target: { type: 'client', id: clientId },
        details: {
          previousValidForSeconds,
          previousValidUntil: previousValidUntil?.toISOString() ?? null,
        },
      });
      return { client: { ...client, ...rotation }, secret, previousValidUntil };
    });
  }

  /**
   * The client if `secret` is its current secret, or its previous one before that expires;
   * undefined otherwise (also for public clients).
   */
  async authenticate(clientId: string, secret: string): Promise<OAuthClientEntity | undefined> {
    const client = await this.clients.getById(clientId);
    const current = this.matches(secret, client?.secretHash ?? null, client?.secretKeyVersion ?? null);
    // Checked whether or not the current one matched, so timing tells nothing about which did.
    const previous = this.matches(
      secret,
      client?.previousSecretHash ?? null,
      client?.previousSecretKeyVersion ?? null,
    );
    const previousLive = (client?.previousSecretExpiresAt?.getTime() ?? 0) > Date.now();
    const match = current || (previous && previousLive);
    return match && client?.type === 'confidential' ? client : undefined;
  }

  private matches(secret: string, hash: string | null, keyVersion: number | null): boolean {
    const version = keyVersion ?? this.config.masterKeys.reveal().current.version;
    const presented = Buffer.from(this.secretHash(secret, version) ?? '', 'hex');
    const stored = Buffer.from(hash ?? '', 'hex');
    return stored.length === 32 && presented.length === 32 && timingSafeEqual(stored, presented);
  }

  /** The first-party public clients exist on every installation (idempotent across replicas). */
  async ensureBuiltIns(): Promise<void> {
    const builtIns: [string, string][] = [
      [WEB_CLIENT_ID, 'OrderOps web app'],
      [DOCS_CLIENT_ID, 'OrderOps API docs (Swagger UI)'],
    ];
    for (const [clientId, name] of builtIns) {
      await this.clients.createIfAbsent({
        clientId,
        name,
        type: 'public' satisfies ClientType,
        firstParty: true,
        grantTypes: ['password', 'refresh_token'],
        scopes: [...ALL_SCOPES],
        secretHash: null,
        secretKeyVersion: null,
      });
    }
  }
}
