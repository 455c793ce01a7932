import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An asymmetric token-signing key; the private part is sealed under the master key. */
@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid!: string;

  @Column({ type: 'varchar', length: 10 })
  algorithm!: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, string>;

  @Column({ name: 'private_key_sealed', type: 'text' })
  privateKeySealed!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Set when a newer key took over signing; the key still verifies until `verifyUntil`. */
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;

  @Column({ name: 'verify_until', type: 'timestamptz', nullable: true })
  verifyUntil!: Date | null;
}
