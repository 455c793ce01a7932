import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An access token revoked before its expiry (RFC 7009); kept until it would have expired. */
@Entity({ name: 'revoked_access_tokens' })
export class RevokedAccessTokenEntity {
  @PrimaryColumn({ type: 'uuid' })
  jti!: string;

  @Index('IDX_revoked_access_tokens_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
