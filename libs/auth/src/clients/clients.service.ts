import { ALL_SCOPES, type Scope } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { AuditService, type AuditActor } from '@orderops/audit';
import { derivedHmacKey, InjectConfig, ValidationFailedError, type AppConfig } from '@orderops/core';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  BuiltInClientError,
  BuiltInRedirectsError,
  ClientNotFoundError,
  PublicClientSecretError,
} from '../auth.errors.js';
import {
  clientFlowProblems,
  defaultGrantTypes,
  uriListProblems,
  type ClientFlows,
} from './client-registration.js';
import { ClientsRepository, type ClientFlowsPatch, type NewClientRow } from './clients.repository.js';
import type {
  ClientType,
  GrantType,
  OAuthClientEntity,
  TokenEndpointAuthMethod,
} from './oauth-client.entity.js';

export const WEB_CLIENT_ID = 'orderops-web';
export const DOCS_CLIENT_ID = 'orderops-docs';
export const BUILT_IN_CLIENT_IDS: readonly string[] = [WEB_CLIENT_ID, DOCS_CLIENT_ID];

const SECRET_KEY_PURPOSE = 'client-secret';

export interface NewClient {
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly grantTypes?: readonly GrantType[];
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
}

/** A registration change; omitted fields stay as they are. */
export type ClientFlowChanges = Partial<ClientFlows>;

/** Where the built-in Swagger UI receives its authorization responses (served by @nestjs/swagger). */
export const DOCS_REDIRECT_PATH = '/docs/oauth2-redirect.html';

const isPublicMethod = (method: TokenEndpointAuthMethod): boolean => method === 'none';

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

export interface RegisteredClient {
  readonly client: OAuthClientEntity;
  /** Shown once for a confidential client; null for a public one, which has none. */
  readonly secret: string | null;
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
    return createHmac('sha256', derivedHmacKey(masterKey, SECRET_KEY_PURPOSE))
      .update(secret, 'utf8')
      .digest('hex');
  }

  /**
   * A confidential partner client (client_credentials) with a fresh secret, under a name no
   * other client has (409 otherwise, from the API and the CLI alike). See `register`.
   */
  async create(input: NewClient, actor: AuditActor): Promise<CreatedClient> {
    const { client, secret } = await this.register(
      { ...input, tokenEndpointAuthMethod: input.tokenEndpointAuthMethod ?? 'client_secret_basic' },
      actor,
    );
    if (secret === null) throw new PublicClientSecretError();
    return { client, secret };
  }

  /**
   * A partner client: confidential with a fresh secret (`client_secret_basic` or `_post`, the
   * default), or public (`none`, no secret) for apps that cannot keep one. Redirect URIs make
   * it a code-flow client (clientFlowProblems holds the rules; 400 with errors[] otherwise).
   * Audited as `admin.client.created` (id, scopes, grant types, auth method and how many
   * redirect URIs; not its name, which may name a person, nor the URIs).
   */
  async register(input: NewClient, actor: AuditActor): Promise<RegisteredClient> {
    const redirectUris = [...(input.redirectUris ?? [])];
    const flows: ClientFlows = {
      grantTypes: [...(input.grantTypes ?? defaultGrantTypes(redirectUris))],
      tokenEndpointAuthMethod: input.tokenEndpointAuthMethod ?? 'client_secret_basic',
      redirectUris,
      postLogoutRedirectUris: [...(input.postLogoutRedirectUris ?? [])],
    };
    const problems = clientFlowProblems(flows);
    if (problems.length > 0) throw new ValidationFailedError(problems);
    const isPublic = isPublicMethod(flows.tokenEndpointAuthMethod);
    const clientId = `ptn_${randomBytes(12).toString('base64url')}`;
    const secret = isPublic ? null : randomBytes(32).toString('base64url');
    const version = this.config.masterKeys.reveal().current.version;
    const client: NewClientRow = {
      clientId,
      name: input.name,
      type: isPublic ? 'public' : 'confidential',
      firstParty: false,
      grantTypes: [...flows.grantTypes],
      scopes: [...input.scopes],
      secretHash: secret === null ? null : (this.secretHash(secret, version) ?? null),
      secretKeyVersion: secret === null ? null : version,
      redirectUris: [...flows.redirectUris],
      postLogoutRedirectUris: [...flows.postLogoutRedirectUris],
      tokenEndpointAuthMethod: flows.tokenEndpointAuthMethod,
    };
    // A taken name or id is the repository's ClientNameTakenError / ClientIdTakenError.
    const created = await this.dataSource.transaction(async (manager) => {
      const stored = await this.clients.create(client, manager);
      await this.audit.record(manager, {
        action: 'admin.client.created',
        actor,
        target: { type: 'client', id: clientId },
        details: { scopes: client.scopes, grantTypes: client.grantTypes, ...flowDetails(flows) },
      });
      return stored;
    });
    return { client: created, secret };
  }

  /**
   * Changes how a client signs people in: grant types, redirect URIs, post-logout redirect
   * URIs, and the secret method of a confidential client (`client_secret_basic` <->
   * `client_secret_post`; becoming public or confidential needs a new client). The built-in
   * apps take their redirect URIs from configuration (409 `built-in-client`). Audited as
   * `admin.client.updated` naming the fields changed and the counts, never a URI.
   */
  async updateFlows(
    clientId: string,
    changes: ClientFlowChanges,
    actor: AuditActor,
  ): Promise<OAuthClientEntity> {
    return this.dataSource.transaction(async (manager) => {
      const client = await this.clients.getForUpdate(clientId, manager);
      if (!client) throw new ClientNotFoundError();
      if (
        BUILT_IN_CLIENT_IDS.includes(clientId) &&
        (changes.redirectUris !== undefined ||
          changes.grantTypes !== undefined ||
          changes.tokenEndpointAuthMethod !== undefined)
      ) {
        throw new BuiltInRedirectsError();
      }
      const flows: ClientFlows = {
        grantTypes: [...(changes.grantTypes ?? client.grantTypes)],
        tokenEndpointAuthMethod: changes.tokenEndpointAuthMethod ?? client.tokenEndpointAuthMethod,
        redirectUris: [...(changes.redirectUris ?? client.redirectUris)],
        postLogoutRedirectUris: [...(changes.postLogoutRedirectUris ?? client.postLogoutRedirectUris)],
      };
      // A built-in app changes only its post-logout URIs; its other flows are not checked here.
      const problems = BUILT_IN_CLIENT_IDS.includes(clientId)
        ? uriListProblems('postLogoutRedirectUris', flows.postLogoutRedirectUris)
        : clientFlowProblems(flows);
      if (isPublicMethod(flows.tokenEndpointAuthMethod) !== (client.type === 'public')) {
        problems.push({
          field: 'tokenEndpointAuthMethod',
          code: 'invalid',
          message:
            client.type === 'public'
              ? 'tokenEndpointAuthMethod of a public client stays none'
              : 'a confidential client keeps a secret method; register a public client instead',
        });
      }
      if (problems.length > 0) throw new ValidationFailedError(problems);
      const patch: ClientFlowsPatch = {};
      if (changes.grantTypes !== undefined) patch.grantTypes = [...flows.grantTypes];
      if (changes.tokenEndpointAuthMethod !== undefined)
        patch.tokenEndpointAuthMethod = flows.tokenEndpointAuthMethod;
      if (changes.redirectUris !== undefined) patch.redirectUris = [...flows.redirectUris];
      if (changes.postLogoutRedirectUris !== undefined)
        patch.postLogoutRedirectUris = [...flows.postLogoutRedirectUris];
      if (Object.keys(patch).length === 0) return this.present(client);
      await this.clients.updateFlows(clientId, patch, manager);
      await this.audit.record(manager, {
        action: 'admin.client.updated',
        actor,
        target: { type: 'client', id: clientId },
        details: {
          changed: Object.keys(patch).sort().map(auditFieldName),
          grantTypes: [...flows.grantTypes],
          ...flowDetails(flows),
        },
      });
      return this.present({ ...client, ...patch });
    });
  }

  /**
   * The client as the server uses it: the built-in apps' redirect URIs come from
   * configuration (ORDEROPS_WEB_REDIRECT_URIS; the docs' own oauth2-redirect page), so every
   * replica answers what its configuration says and no row has to be rewritten at boot.
   */
  private present(client: OAuthClientEntity): OAuthClientEntity {
    if (client.clientId === WEB_CLIENT_ID) {
      return { ...client, redirectUris: [...this.config.auth.webRedirectUris] };
    }
    if (client.clientId === DOCS_CLIENT_ID) {
      return { ...client, redirectUris: [`${this.config.auth.issuer}${DOCS_REDIRECT_PATH}`] };
    }
    return client;
  }

  async list(): Promise<OAuthClientEntity[]> {
    return (await this.clients.list()).map((c) => this.present(c));
  }

  async get(clientId: string): Promise<OAuthClientEntity> {
    const client = await this.clients.getById(clientId);
    if (!client) throw new ClientNotFoundError();
    return this.present(client);
  }

  async find(clientId: string): Promise<OAuthClientEntity | null> {
    const client = await this.clients.getById(clientId);
    return client ? this.present(client) : null;
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
    return match && client?.type === 'confidential' ? this.present(client) : undefined;
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
        grantTypes: ['authorization_code', 'password', 'refresh_token'],
        scopes: [...ALL_SCOPES],
        secretHash: null,
        secretKeyVersion: null,
        // Configuration supplies them (present); the rows keep none.
        redirectUris: [],
        postLogoutRedirectUris: [],
        tokenEndpointAuthMethod: 'none',
      });
    }
  }
}

/**
 * What the audit trail keeps of a client's flows: methods and counts, never a URI. The
 * method goes under `authMethod`: the trail refuses keys that name tokens.
 */
function flowDetails(flows: ClientFlows): Record<string, string | number> {
  return {
    authMethod: flows.tokenEndpointAuthMethod,
    redirectUriCount: flows.redirectUris.length,
    postLogoutRedirectUriCount: flows.postLogoutRedirectUris.length,
  };
}

/** Field names as the trail may hold them (see flowDetails). */
function auditFieldName(field: string): string {
  return field === 'tokenEndpointAuthMethod' ? 'authMethod' : field;
}
