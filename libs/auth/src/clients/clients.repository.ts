import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { TokenStandingCache } from '../tokens/token-standing-cache.js';
import { ClientIdTakenError, ClientNameTakenError } from '../auth.errors.js';
import { violatedUniqueConstraint } from '../unique-violation.js';
import { OAuthClientEntity } from './oauth-client.entity.js';

/** A client row as written; `created_at` is the database's; a new client has no previous secret. */
export type NewClientRow = Omit<
  OAuthClientEntity,
  'createdAt' | 'previousSecretHash' | 'previousSecretKeyVersion' | 'previousSecretExpiresAt'
>;

/** What a secret rotation writes. */
export type SecretRotation = Pick<
  OAuthClientEntity,
  | 'secretHash'
  | 'secretKeyVersion'
  | 'previousSecretHash'
  | 'previousSecretKeyVersion'
  | 'previousSecretExpiresAt'
>;

/** What a registration change writes. */
export type ClientFlowsPatch = Partial<
  Pick<
    OAuthClientEntity,
    'grantTypes' | 'tokenEndpointAuthMethod' | 'redirectUris' | 'postLogoutRedirectUris'
  >
>;

/** The unique index on the client name (migration 1733300000002). */
const NAME_INDEX = 'UQ_oauth_clients_name';

/** The `oauth_clients` table. */
@Injectable()
export class ClientsRepository {
  constructor(
    private readonly dataSource: DataSource,
    /** Told of changes to what an access token's standing depends on. */
    private readonly standings: TokenStandingCache,
  ) {}

  private repo(manager: EntityManager = this.dataSource.manager) {
    return manager.getRepository(OAuthClientEntity);
  }

  /**
   * Inserts the client and returns it as stored. Throws ClientNameTakenError when another
   * client has the name (the index is on lower(btrim(name))), ClientIdTakenError for its id.
   */
  async create(row: NewClientRow, manager?: EntityManager): Promise<OAuthClientEntity> {
    const repo = this.repo(manager);
    try {
      await repo.insert(row);
    } catch (error) {
      const constraint = violatedUniqueConstraint(error);
      if (constraint === NAME_INDEX) throw new ClientNameTakenError();
      if (constraint !== undefined) throw new ClientIdTakenError();
      throw error;
    }
    return repo.findOneByOrFail({ clientId: row.clientId });
  }

  /** Inserts the client unless one with its id exists (concurrent replicas may both try). */
  async createIfAbsent(row: NewClientRow): Promise<void> {
    await this.repo().createQueryBuilder().insert().values(row).orIgnore().execute();
  }

  /** Oldest first. */
  async list(): Promise<OAuthClientEntity[]> {
    return this.repo().find({ order: { createdAt: 'ASC' } });
  }

  async getById(clientId: string): Promise<OAuthClientEntity | null> {
    return this.repo().findOneBy({ clientId });
  }

  /**
   * The client, its row locked until the transaction ends, so two concurrent rotations of
   * one client run one after the other and the second keeps the first's secret as previous.
   */
  async getForUpdate(clientId: string, manager: EntityManager): Promise<OAuthClientEntity | null> {
    return this.repo(manager).findOne({ where: { clientId }, lock: { mode: 'pessimistic_write' } });
  }

  async rotateSecret(clientId: string, rotation: SecretRotation, manager: EntityManager): Promise<void> {
    await this.repo(manager).update({ clientId }, rotation);
  }

  async updateFlows(clientId: string, patch: ClientFlowsPatch, manager: EntityManager): Promise<void> {
    await this.repo(manager).update({ clientId }, patch);
  }

  /** False if there was no such client. Its refresh tokens go with it (foreign key cascade). */
  async delete(clientId: string, manager?: EntityManager): Promise<boolean> {
    this.standings.forget();
    const result = await this.repo(manager).delete({ clientId });
    return (result.affected ?? 0) > 0;
  }
}
