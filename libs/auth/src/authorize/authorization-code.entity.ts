import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { OAuthClientEntity } from '../clients/oauth-client.entity.js';
import { OperatorEntity } from '../operators/operator.entity.js';
import { SessionEntity } from '../sessions/session.entity.js';

/**
 * An authorization code (RFC 6749 §4.1.2), bound to everything the token request must match
 * (migration 1733300000011). Only its SHA-256 is stored. Once used, the row stays until it
 * is swept (a day after expiry) so a second use is recognised and revokes what the first
 * use issued (`accessJti`, `refreshFamilyId`).
 */
@Entity({ name: 'authorization_codes' })
export class AuthorizationCodeEntity {
  @PrimaryColumn({
    name: 'code_hash',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_authorization_codes',
  })
  codeHash!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  @ManyToOne(() => OAuthClientEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id', foreignKeyConstraintName: 'FK_authorization_codes_client' })
  client?: OAuthClientEntity;

  @Column({ name: 'operator_id', type: 'uuid' })
  operatorId!: string;

  @ManyToOne(() => OperatorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'operator_id', foreignKeyConstraintName: 'FK_authorization_codes_operator' })
  operator?: OperatorEntity;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @ManyToOne(() => SessionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_authorization_codes_session' })
  session?: SessionEntity;

  /** The redirect URI the code was sent to, exactly. */
  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri!: string;

  /** RFC 6749 §4.1.3: the token request must repeat redirect_uri when the authorization request had it. */
  @Column({ name: 'redirect_uri_in_request', type: 'boolean' })
  redirectUriInRequest!: boolean;

  /** The S256 code challenge (RFC 7636 §4.2). */
  @Column({ name: 'code_challenge', type: 'varchar', length: 128 })
  codeChallenge!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  /** `openid` was asked for (OpenID Connect): the exchange adds an ID token. */
  @Column({ type: 'boolean', default: false })
  openid!: boolean;

  /** The authorization request's `nonce`, repeated in the ID token. */
  @Column({ type: 'varchar', length: 256, nullable: true })
  nonce!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Index('IDX_authorization_codes_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'access_jti', type: 'uuid', nullable: true })
  accessJti!: string | null;

  @Column({ name: 'access_expires_at', type: 'timestamptz', nullable: true })
  accessExpiresAt!: Date | null;

  @Column({ name: 'refresh_family_id', type: 'uuid', nullable: true })
  refreshFamilyId!: string | null;
}
