import type { DatabaseSchema } from '@orderops/core';
import { IdempotencyKeyEntity } from './idempotency/idempotency-key.entity.js';
import { ImportEntity } from './imports/import.entity.js';
import { CreateOrders1732700000000 } from './migrations/1732700000000-create-orders.js';
import { CreateImports1732800000000 } from './migrations/1732800000000-create-imports.js';
import { OrderOwners1733000000000 } from './migrations/1733000000000-owners.js';
import { OrderExternalRef1733300000000 } from './migrations/1733300000000-order-external-ref.js';
import { OrderImportId1733300000001 } from './migrations/1733300000001-order-import-id.js';
import { MoneyMinorUnits1733300000003 } from './migrations/1733300000003-money-minor-units.js';
import { OrderItemEntity } from './orders/order-item.entity.js';
import { OrderEntity } from './orders/order.entity.js';

export const ordersSchema: DatabaseSchema = {
  entities: [OrderEntity, OrderItemEntity, IdempotencyKeyEntity, ImportEntity],
  migrations: [
    CreateOrders1732700000000,
    CreateImports1732800000000,
    OrderOwners1733000000000,
    OrderExternalRef1733300000000,
    OrderImportId1733300000001,
    MoneyMinorUnits1733300000003,
  ],
};
