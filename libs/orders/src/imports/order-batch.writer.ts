import type { EntityManager } from 'typeorm';
import type { CreateOrderDto } from '../orders/dto/create-order.dto.js';
import { toCents } from '../orders/dto/money.validator.js';

export interface PendingOrder {
  readonly id: string;
  readonly order: CreateOrderDto;
  readonly customerId: string | null;
}

function formatCents(cents: bigint): string {
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/** Exact: integer cents as bigint (the prices were validated as decimal strings). */
function totalOf(order: CreateOrderDto): string {
  const cents = order.items.reduce((sum, item) => {
    const price = toCents(item.unitPrice);
    if (price === undefined) throw new Error('an unvalidated price reached the writer');
    return sum + price * BigInt(item.quantity);
  }, 0n);
  return formatCents(cents);
}

/**
 * Inserts a batch of validated orders and their items with two statements in the caller's
 * transaction. Each column travels as one array parameter (unnest), so a statement has a
 * fixed handful of bind parameters however large the batch: far below PostgreSQL's 65,535.
 */
export async function insertOrderBatch(
  manager: EntityManager,
  author: { readonly createdBy: string; readonly owner: string },
  orders: readonly PendingOrder[],
): Promise<void> {
  if (orders.length === 0) return;
  const ids: string[] = [];
  const customerIds: (string | null)[] = [];
  const currencies: string[] = [];
  const totals: string[] = [];
  const itemOrderIds: string[] = [];
  const positions: number[] = [];
  const products: string[] = [];
  const prices: string[] = [];
  const quantities: number[] = [];
  for (const { id, order, customerId } of orders) {
    ids.push(id);
    customerIds.push(customerId);
    currencies.push(order.currency);
    totals.push(totalOf(order));
    order.items.forEach((item, position) => {
      itemOrderIds.push(id);
      positions.push(position);
      products.push(item.product);
      prices.push(item.unitPrice);
      quantities.push(item.quantity);
    });
  }
  await manager.query(
    `INSERT INTO "orders" ("id", "customer_id", "status", "currency", "total", "note", "created_by", "owner", "version")
     SELECT t.id, t.customer_id, 'placed', t.currency, t.total, NULL, $5, $6, 1
       FROM unnest($1::varchar[], $2::varchar[], $3::char(3)[], $4::numeric[]) AS t(id, customer_id, currency, total)`,
    [ids, customerIds, currencies, totals, author.createdBy, author.owner],
  );
  await manager.query(
    `INSERT INTO "order_items" ("order_id", "position", "product", "unit_price", "quantity")
     SELECT * FROM unnest($1::varchar[], $2::smallint[], $3::varchar[], $4::numeric[], $5::int[])`,
    [itemOrderIds, positions, products, prices, quantities],
  );
}
