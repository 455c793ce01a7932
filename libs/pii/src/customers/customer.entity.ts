import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A data subject. Every personal field is ciphertext under the customer's own data key,
 * which is itself sealed under a master key; email and phone are findable only through
 * keyed blind indexes. Erasure destroys the data key (crypto-shredding).
 */
@Entity({ name: 'customers' })
// Per owner: two partners may each hold a customer with the same email.
@Index('UQ_customers_email_bidx_owner', ['emailBidx', 'owner'], { unique: true })
export class CustomerEntity {
  @PrimaryColumn({ type: 'varchar', length: 30 })
  id!: string;

  /** The data key sealed under master key `kekVersion`; null once erased. */
  @Column({ name: 'wrapped_dek', type: 'text', nullable: true })
  wrappedDek!: string | null;

  @Index('IDX_customers_kek_version')
  @Column({ name: 'kek_version', type: 'integer', nullable: true })
  kekVersion!: number | null;

  @Column({ name: 'name_enc', type: 'text', nullable: true })
  nameEnc!: string | null;

  @Column({ name: 'email_enc', type: 'text', nullable: true })
  emailEnc!: string | null;

  @Column({ name: 'phone_enc', type: 'text', nullable: true })
  phoneEnc!: string | null;

  @Column({ name: 'address_enc', type: 'text', nullable: true })
  addressEnc!: string | null;

  /** Who the customer belongs to (see `Reach`): a client's own, or the house's. */
  @Column({ type: 'varchar', length: 100 })
  owner!: string;

  @Column({ name: 'email_bidx', type: 'varchar', length: 64, nullable: true })
  emailBidx!: string | null;

  @Index('IDX_customers_phone_bidx')
  @Column({ name: 'phone_bidx', type: 'varchar', length: 64, nullable: true })
  phoneBidx!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt!: Date | null;
}
