import type { DatabaseSchema } from '@orderops/core';
import { IdempotencyKeyEntity } from './idempotency/idempotency-key.entity.js';
import { CreateOrders1732700000000 } from './migrations/1732700000000-create-orders.js';
import { OrderItemEntity } from './orders/order-item.entity.js';
import { OrderEntity } from './orders/order.entity.js';

export const ordersSchema: DatabaseSchema = {
  entities: [OrderEntity, OrderItemEntity, IdempotencyKeyEntity],
  migrations: [CreateOrders1732700000000],
};
