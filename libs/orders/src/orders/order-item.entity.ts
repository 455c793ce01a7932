import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { OrderEntity } from './order.entity.js';

@Entity({ name: 'order_items' })
export class OrderItemEntity {
  @PrimaryColumn({ name: 'order_id', type: 'varchar', length: 30 })
  orderId!: string;

  @PrimaryColumn({ type: 'smallint' })
  position!: number;

  @ManyToOne('OrderEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id' })
  order?: OrderEntity;

  @Column({ type: 'varchar', length: 200 })
  product!: string;

  /** Written with its currency's decimals (order-total.ts `normalizedPrice`). */
  @Column({ name: 'unit_price', type: 'numeric' })
  unitPrice!: string;

  @Column({ type: 'integer' })
  quantity!: number;
}
