import { toCustomerResponse, type CustomerRecord } from '@orderops/pii';
import { OrderItemResponse, OrderResponse } from './dto/order.response.js';
import type { OrderItemEntity } from './order-item.entity.js';
import type { OrderEntity } from './order.entity.js';

export function orderEtag(version: number): string {
  return `"${version}"`;
}

export function toOrderResponse(
  order: OrderEntity,
  items: readonly OrderItemEntity[],
  customer: CustomerRecord | null,
): OrderResponse {
  return Object.assign(new OrderResponse(), {
    id: order.id,
    status: order.status,
    currency: order.currency,
    total: order.total,
    note: order.note,
    externalRef: order.externalRef,
    importId: order.importId,
    items: [...items]
      .sort((a, b) => a.position - b.position)
      .map((i) =>
        Object.assign(new OrderItemResponse(), {
          product: i.product,
          unitPrice: i.unitPrice,
          quantity: i.quantity,
        }),
      ),
    customer: customer ? toCustomerResponse(customer) : null,
    createdBy: order.createdBy,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    version: order.version,
  });
}
