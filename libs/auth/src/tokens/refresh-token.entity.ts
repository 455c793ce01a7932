import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OAuthClientEntity } from '../clients/oauth-client.entity.js';
import { OperatorEntity } from '../operators/operator.entity.js';

/**
 * One refresh token of a rotation family. Only the SHA-256 of the token is stored (it has
 * 256 random bits, so a fast hash is enough). A used token presented again revokes the family.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('IDX_refresh_tokens_family')
  @Column({ name: 'family_id', type: 'uuid' })
  familyId!: string;

  @Index('UQ_refresh_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId!: string;

  /** Deleting a client or an operator deletes their refresh tokens with them. */
  @ManyToOne(() => OAuthClientEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id' })
  client?: OAuthClientEntity;

  @Index('IDX_refresh_tokens_operator')
  @Column({ name: 'operator_id', type: 'uuid' })
  operatorId!: string;

  @ManyToOne(() => OperatorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'operator_id' })
  operator?: OperatorEntity;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt!: Date;

  /** When the family was started (first login); tokens issued before the operator's cut-off die. */
  @Column({ name: 'family_issued_at', type: 'timestamptz' })
  familyIssuedAt!: Date;

  /** The operator's token generation at login; the family dies once it is no longer current. */
  @Column({ name: 'operator_generation', type: 'integer', default: 0 })
  operatorGeneration!: number;

  /**
   * RFC 8176 methods of the sign-in that started the family (`pwd`, `otp`): a refresh grants
   * scopes that need the second factor only when it holds `otp` (see MfaPolicy).
   */
  @Column({ type: 'text', array: true })
  amr!: string[];

  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt!: Date;

  @Column({ name: 'family_expires_at', type: 'timestamptz' })
  familyExpiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
