import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';

export const ORDER_STATUSES = ['placed', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

@Entity({ name: 'orders' })
@Index('IDX_orders_created', ['createdAt', 'id'])
@Index('IDX_orders_owner', ['owner', 'id'])
@Index('UQ_orders_owner_external_ref', ['owner', 'externalRef'], { unique: true })
export class OrderEntity {
  @PrimaryColumn({ type: 'varchar', length: 30 })
  id!: string;

  /** The customer (libs/pii) by id only: no personal data in this table. */
  @Index('IDX_orders_customer')
  @Column({ name: 'customer_id', type: 'varchar', length: 30, nullable: true })
  customerId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: OrderStatus;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  /**
   * Sum of the items' unit price x quantity, set once when the order is placed by
   * `orderTotal` (order-total.ts), the one rule for POST /orders and imports: exact in
   * integer minor units of the currency, never a float, and written with the currency's
   * decimals (ISO 4217: `4500` JPY, `12.30` EUR, `1.250` KWD).
   */
  @Column({ type: 'numeric' })
  total!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  note!: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 80 })
  createdBy!: string;

  /** Who the order belongs to (see `Reach`): a client's own, or the house's. */
  @Column({ type: 'varchar', length: 100 })
  owner!: string;

  /** The partner's own order number (see EXTERNAL_REF_RULE): unique per owner, when given. */
  @Column({ name: 'external_ref', type: 'varchar', length: 64, nullable: true })
  externalRef!: string | null;

  /** The import that created the order (IMP-...); null for POST /orders. */
  @Index('IDX_orders_import')
  @Column({ name: 'import_id', type: 'varchar', length: 30, nullable: true })
  importId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn()
  version!: number;
}
