import { ownedBy, ownerWhere, type Reach } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import { arrayLiteral, Database } from '@orderops/core';
import { DataSource, In, MoreThan, type EntityManager } from 'typeorm';
import { OrderItemEntity } from './order-item.entity.js';
import { OrderEntity, type OrderStatus } from './order.entity.js';

/** An order with its items, in position order. */
export interface OrderWithItems {
  readonly order: OrderEntity;
  readonly items: OrderItemEntity[];
}

/** A new order's row and its items; the database fills in the timestamps and version. */
export interface NewOrder {
  readonly id: string;
  readonly customerId: string | null;
  readonly currency: string;
  readonly total: string;
  readonly note: string | null;
  readonly externalRef: string | null;
  readonly items: readonly {
    readonly product: string;
    readonly unitPrice: string;
    readonly quantity: number;
  }[];
}

/** Who writes a batch of orders: every order of a batch has the same creator and owner. */
export interface OrderAuthor {
  readonly createdBy: string;
  readonly owner: string;
  /** The import writing the batch; null (or absent) for POST /orders. */
  readonly importId?: string | null;
}

/** The list's filters; `before` is an order id (ids are ULIDs, so they sort by creation). */
export interface OrderSearch {
  readonly status?: OrderStatus;
  readonly externalRef?: string;
  readonly customerId?: string;
  readonly importId?: string;
  readonly createdBy?: string;
  readonly createdFrom?: Date;
  readonly createdTo?: Date;
  readonly before?: string;
  readonly limit: number;
}

interface OrderRow {
  id: string;
  customer_id: string | null;
  status: OrderStatus;
  currency: string;
  total: string;
  note: string | null;
  external_ref: string | null;
  import_id: string | null;
  created_by: string;
  owner: string;
  created_at: Date;
  updated_at: Date;
  version: number;
  items: { position: number; product: string; unitPrice: string; quantity: number }[];
}

/**
 * The hot read (GET /orders/:id): the order and its items in one round trip. A constant
 * text, so that `Database.read` prepares it once per connection; an order outside the reach
 * is not found by the same query as a missing id.
 */
const ORDER_BY_ID = `SELECT o.id, o.customer_id, o.status, o.currency, o.total, o.note, o.external_ref, o.import_id,
       o.created_by, o.owner,
       o.created_at, o.updated_at, o.version,
       COALESCE((SELECT json_agg(json_build_object('position', i.position, 'product', i.product,
                          'unitPrice', i.unit_price::text, 'quantity', i.quantity) ORDER BY i.position)
                   FROM order_items i WHERE i.order_id = o.id), '[]'::json) AS items
  FROM orders o
 WHERE o.id = $1 AND ${ownedBy('o.owner', 2)}`;

/**
 * Each column travels as one array parameter (unnest), so a statement has a fixed handful
 * of bind parameters however large the batch: far below PostgreSQL's 65,535.
 */
const INSERT_ORDERS = `INSERT INTO "orders" ("id", "customer_id", "status", "currency", "total", "note", "external_ref", "created_by", "owner", "import_id", "version")
SELECT t.id, t.customer_id, 'placed', t.currency, t.total, t.note, t.external_ref, $7, $8, $9, 1
  FROM unnest($1::varchar[], $2::varchar[], $3::char(3)[], $4::numeric[], $5::varchar[], $6::varchar[])
       AS t(id, customer_id, currency, total, note, external_ref)`;

/** The unique index behind "one externalRef per owner" (migration 1733300000000). */
const EXTERNAL_REF_INDEX = 'UQ_orders_owner_external_ref';
const INSERT_ITEMS = `INSERT INTO "order_items" ("order_id", "position", "product", "unit_price", "quantity")
SELECT * FROM unnest($1::varchar[], $2::smallint[], $3::varchar[], $4::numeric[], $5::int[])`;

function toOrderWithItems(row: OrderRow): OrderWithItems {
  const order = Object.assign(new OrderEntity(), {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    total: row.total,
    note: row.note,
    externalRef: row.external_ref,
    importId: row.import_id,
    createdBy: row.created_by,
    owner: row.owner,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    version: row.version,
  });
  const items = row.items.map((i) => Object.assign(new OrderItemEntity(), { ...i, orderId: row.id }));
  return { order, items };
}

/** The only code that reads or writes `orders` and `order_items`. */
@Injectable()
export class OrdersRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly database: Database,
  ) {}

  /**
   * The order if `reach` covers it: in the caller's transaction, or (no manager) as a
   * prepared statement straight on the pool.
   */
  async getById(id: string, reach: Reach, manager?: EntityManager): Promise<OrderWithItems | undefined> {
    const params = [id, reach.only];
    const [row] = manager
      ? await manager.query<OrderRow[]>(ORDER_BY_ID, params)
      : await this.database.read<OrderRow>(ORDER_BY_ID, params);
    return row ? toOrderWithItems(row) : undefined;
  }

  /** The order, locked for update until the caller's transaction ends, if `reach` covers it. */
  async getForUpdate(id: string, reach: Reach, manager: EntityManager): Promise<OrderEntity | undefined> {
    const order = await manager.getRepository(OrderEntity).findOne({
      where: { id, ...ownerWhere(reach) },
      lock: { mode: 'pessimistic_write' },
    });
    return order ?? undefined;
  }

  /** Sets the status; the version and updated_at move with it (TypeORM's version column). */
  async updateStatus(id: string, status: OrderStatus, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource.manager).getRepository(OrderEntity).update({ id }, { status });
  }

  /** The orders `reach` covers that match, newest first, with their items. */
  async search(filter: OrderSearch, reach: Reach): Promise<OrderWithItems[]> {
    const qb = this.dataSource.getRepository(OrderEntity).createQueryBuilder('o');
    if (reach.only !== null) qb.andWhere('o.owner = :owner', { owner: reach.only });
    if (filter.status) qb.andWhere('o.status = :status', { status: filter.status });
    if (filter.externalRef !== undefined)
      qb.andWhere('o.external_ref = :externalRef', { externalRef: filter.externalRef });
    if (filter.customerId !== undefined)
      qb.andWhere('o.customer_id = :customerId', { customerId: filter.customerId });
    if (filter.importId !== undefined) qb.andWhere('o.import_id = :importId', { importId: filter.importId });
    if (filter.createdBy !== undefined)
      qb.andWhere('o.created_by = :createdBy', { createdBy: filter.createdBy });
    if (filter.createdFrom) qb.andWhere('o.created_at >= :from', { from: filter.createdFrom });
    if (filter.createdTo) qb.andWhere('o.created_at < :to', { to: filter.createdTo });
    if (filter.before !== undefined) qb.andWhere('o.id < :before', { before: filter.before });
    const orders = await qb.orderBy('o.id', 'DESC').take(filter.limit).getMany();
    return this.withItems(orders, this.dataSource.manager);
  }

  /** A customer's orders that `reach` covers, oldest first (the personal-data export). */
  async getByCustomer(customerId: string, reach: Reach, manager?: EntityManager): Promise<OrderWithItems[]> {
    const m = manager ?? this.dataSource.manager;
    const orders = await m
      .getRepository(OrderEntity)
      .find({ where: { customerId, ...ownerWhere(reach) }, order: { id: 'ASC' } });
    return this.withItems(orders, m);
  }

  /** Ids of the orders import `importId` created, in id (creation) order, after `after`. */
  async idsOfImport(importId: string, after: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.dataSource.getRepository(OrderEntity).find({
      select: { id: true },
      where: { importId, ...(after === undefined ? {} : { id: MoreThan(after) }) },
      order: { id: 'ASC' },
      take: limit,
    });
    return rows.map((row) => row.id);
  }

  /**
   * Of `refs`, those an order of `owner` already carries as its externalRef, with that
   * order's id: the check before a write, in the writer's transaction.
   */
  async findExternalRefs(
    owner: string,
    refs: readonly string[],
    manager?: EntityManager,
  ): Promise<Map<string, string>> {
    if (refs.length === 0) return new Map();
    const rows = await (manager ?? this.dataSource.manager)
      .getRepository(OrderEntity)
      .find({ select: { id: true, externalRef: true }, where: { owner, externalRef: In([...refs]) } });
    return new Map(rows.map((row) => [row.externalRef!, row.id]));
  }

  /** True when `error` is the unique index on (owner, externalRef): a concurrent writer took it. */
  isExternalRefTaken(error: unknown): boolean {
    const driverError = (error as { driverError?: { code?: unknown; constraint?: unknown } }).driverError;
    return driverError?.code === '23505' && driverError.constraint === EXTERNAL_REF_INDEX;
  }

  /**
   * Inserts orders and their items: one order (POST /orders) or a batch (imports), the
   * same two statements. In the caller's transaction, or in one of its own.
   */
  async createMany(author: OrderAuthor, orders: readonly NewOrder[], manager?: EntityManager): Promise<void> {
    if (orders.length === 0) return;
    if (!manager) {
      await this.dataSource.transaction((m) => this.createMany(author, orders, m));
      return;
    }
    const ids: string[] = [];
    const customerIds: (string | null)[] = [];
    const currencies: string[] = [];
    const totals: string[] = [];
    const notes: (string | null)[] = [];
    const externalRefs: (string | null)[] = [];
    const itemOrderIds: string[] = [];
    const positions: number[] = [];
    const products: string[] = [];
    const prices: string[] = [];
    const quantities: number[] = [];
    for (const order of orders) {
      ids.push(order.id);
      customerIds.push(order.customerId);
      currencies.push(order.currency);
      totals.push(order.total);
      notes.push(order.note);
      externalRefs.push(order.externalRef);
      order.items.forEach((item, position) => {
        itemOrderIds.push(order.id);
        positions.push(position);
        products.push(item.product);
        prices.push(item.unitPrice);
        quantities.push(item.quantity);
      });
    }
    await manager.query(INSERT_ORDERS, [
      arrayLiteral(ids),
      arrayLiteral(customerIds),
      arrayLiteral(currencies),
      arrayLiteral(totals),
      arrayLiteral(notes),
      arrayLiteral(externalRefs),
      author.createdBy,
      author.owner,
      author.importId ?? null,
    ]);
    await manager.query(INSERT_ITEMS, [
      arrayLiteral(itemOrderIds),
      arrayLiteral(positions),
      arrayLiteral(products),
      arrayLiteral(prices),
      arrayLiteral(quantities),
    ]);
  }

  private async withItems(orders: readonly OrderEntity[], manager: EntityManager): Promise<OrderWithItems[]> {
    if (orders.length === 0) return [];
    const items = await manager
      .getRepository(OrderItemEntity)
      .find({ where: { orderId: In(orders.map((o) => o.id)) }, order: { orderId: 'ASC', position: 'ASC' } });
    const byOrder = new Map<string, OrderItemEntity[]>();
    for (const item of items) byOrder.set(item.orderId, [...(byOrder.get(item.orderId) ?? []), item]);
    return orders.map((order) => ({ order, items: byOrder.get(order.id) ?? [] }));
  }
}
