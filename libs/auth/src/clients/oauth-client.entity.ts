import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type ClientType = 'public' | 'confidential';
export type GrantType = 'password' | 'refresh_token' | 'client_credentials' | 'authorization_code';
export const GRANT_TYPES: readonly GrantType[] = [
  'authorization_code',
  'client_credentials',
  'password',
  'refresh_token',
];
/** RFC 7591 §2: `none` is a public client; the others prove a secret. */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';
export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'none',
];

/** An OAuth 2.0 client: a first-party app (public) or a partner system (confidential). */
@Entity({ name: 'oauth_clients' })
// On lower(btrim(name)) (migration 1733300000002): an expression TypeORM cannot declare,
// so it is kept out of schema synchronisation.
@Index('UQ_oauth_clients_name', { synchronize: false })
export class OAuthClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: ClientType;

  /** Only first-party clients may use the password grant. */
  @Column({ name: 'first_party', type: 'boolean', default: false })
  firstParty!: boolean;

  @Column({ name: 'grant_types', type: 'text', array: true })
  grantTypes!: GrantType[];

  @Column({ type: 'text', array: true })
  scopes!: string[];

  /** HMAC-SHA-256 of the secret under a key derived from master key `secretKeyVersion`. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64, nullable: true })
  secretHash!: string | null;

  @Column({ name: 'secret_key_version', type: 'integer', nullable: true })
  secretKeyVersion!: number | null;

  /**
   * The secret the last rotation replaced, hashed like `secretHash`; it authenticates until
   * `previousSecretExpiresAt` (migration 1733300000004). Null when there is none.
   */
  @Column({ name: 'previous_secret_hash', type: 'varchar', length: 64, nullable: true })
  previousSecretHash!: string | null;

  @Column({ name: 'previous_secret_key_version', type: 'integer', nullable: true })
  previousSecretKeyVersion!: number | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  /**
   * Where authorization responses may go: exact strings (loopback http ones with any port,
   * RFC 8252 §7.3), migration 1733300000010. For the built-in apps, configuration decides.
   */
  @Column({ name: 'redirect_uris', type: 'text', array: true, default: () => "'{}'" })
  redirectUris!: string[];

  @Column({ name: 'post_logout_redirect_uris', type: 'text', array: true, default: () => "'{}'" })
  postLogoutRedirectUris!: string[];

  @Column({
    name: 'token_endpoint_auth_method',
    type: 'varchar',
    length: 32,
    default: 'client_secret_basic',
  })
  tokenEndpointAuthMethod!: TokenEndpointAuthMethod;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
