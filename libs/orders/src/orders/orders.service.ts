import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditService, type AuditActor } from '@orderops/audit';
import { Database, ownedBy, ownerWhere, type Principal, type Reach } from '@orderops/core';
import {
  CustomerExportRegistry,
  CustomersService,
  CustomerNotFoundError,
  type CustomerRow,
} from '@orderops/pii';
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { Brackets, DataSource, In, type EntityManager } from 'typeorm';
import { IdempotencyKeyEntity } from '../idempotency/idempotency-key.entity.js';
import {
  CustomerAmbiguousError,
  IdempotencyKeyReusedError,
  InvalidCursorError,
  InvalidIdempotencyKeyError,
  InvalidOrderIdError,
  InvalidTransitionError,
  OrderNotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  UnknownCustomerError,
} from '../orders.errors.js';
import type { CreateOrderDto } from './dto/create-order.dto.js';
import type { ListOrdersQueryDto } from './dto/order-requests.dto.js';
import type { OrderPageResponse, OrderResponse } from './dto/order.response.js';
import { canTransition } from './order-status.js';
import { OrderItemEntity } from './order-item.entity.js';
import { OrderEntity, type OrderStatus } from './order.entity.js';
import { orderEtag, toOrderResponse } from './orders.mapper.js';

export const ORDER_ID_PATTERN = /^ORD-[0-9A-HJKMNP-TV-Z]{26}$/;
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface CreatedOrder {
  readonly order: OrderResponse;
  /** True when an earlier request with the same Idempotency-Key already created it. */
  readonly replayed: boolean;
}

/** Canonical JSON (sorted keys) so that key order does not make two bodies "different". */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface LoadedOrderRow {
  id: string;
  customer_id: string | null;
  status: OrderStatus;
  currency: string;
  total: string;
  note: string | null;
  created_by: string;
  owner: string;
  created_at: Date;
  updated_at: Date;
  version: number;
  items: { position: number; product: string; unitPrice: string; quantity: number }[];
  customer: CustomerRow | null;
}

export const principalRef = (principal: Principal): string => `${principal.type}:${principal.id}`;
const actorOf = (principal: Principal): AuditActor => ({ type: principal.type, id: principal.id });

@Injectable()
export class OrdersService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly customers: CustomersService,
    private readonly exportRegistry: CustomerExportRegistry,
    private readonly audit: AuditService,
    private readonly database: Database,
  ) {}

  onModuleInit(): void {
    // The personal-data export lists the person's orders; pii cannot import orders, so
    // orders contributes its section.
    this.exportRegistry.register('orders', async (customerId, manager, reach) => {
      const orders = await manager
        .getRepository(OrderEntity)
        .find({ where: { customerId, ...ownerWhere(reach) }, order: { id: 'ASC' } });
      const items = await this.itemsFor(
        manager,
        orders.map((o) => o.id),
      );
      return orders.map((o) => toOrderResponse(o, items.get(o.id) ?? [], null));
    });
  }

  assertId(id: string): void {
    if (!ORDER_ID_PATTERN.test(id)) throw new InvalidOrderIdError();
  }

  /** A new order of `reach.owner`'s; `customerId` must be a customer `reach` covers. */
  async create(
    principal: Principal,
    reach: Reach,
    body: CreateOrderDto,
    idempotencyKey?: string,
  ): Promise<CreatedOrder> {
    if (body.customer && body.customerId) throw new CustomerAmbiguousError();
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new InvalidIdempotencyKeyError();
    }
    const requestHash = createHash('sha256').update(canonical(body)).digest('hex');
    const owner = principalRef(principal);
    return this.dataSource.transaction(async (manager) => {
      if (idempotencyKey !== undefined) {
        const earlier = await this.claimIdempotencyKey(manager, owner, idempotencyKey, requestHash);
        if (earlier) return { order: await this.load(manager, earlier, reach), replayed: true };
      }
      const id = await this.insertOrder(manager, principal, reach, body);
      if (idempotencyKey !== undefined) {
        await manager
          .getRepository(IdempotencyKeyEntity)
          .update({ principal: owner, idempotencyKey }, { orderId: id });
      }
      return { order: await this.load(manager, id, reach), replayed: false };
    });
  }

  /**
   * Claims the key for this request, or returns the order an earlier request with the same
   * key and body created. Concurrent requests with one key serialize on the key's row.
   */
  private async claimIdempotencyKey(
    manager: EntityManager,
    owner: string,
    key: string,
    requestHash: string,
  ): Promise<string | undefined> {
    const repo = manager.getRepository(IdempotencyKeyEntity);
    const expiresAt = new Date(Date.now() + IDEMPOTENCY_TTL_MS);
    await repo
      .createQueryBuilder()
      .insert()
      .values({ principal: owner, idempotencyKey: key, requestHash, orderId: null, expiresAt })
      .orIgnore()
      .execute();
    const row = await repo.findOne({
      where: { principal: owner, idempotencyKey: key },
      lock: { mode: 'pessimistic_write' },
    });
    if (!row) throw new Error('idempotency key row vanished');
    if (row.expiresAt <= new Date()) {
      await repo.update({ principal: owner, idempotencyKey: key }, { requestHash, orderId: null, expiresAt });
      return undefined;
    }
    if (row.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    return row.orderId ?? undefined;
  }

  private async insertOrder(
    manager: EntityManager,
    principal: Principal,
    reach: Reach,
    body: CreateOrderDto,
  ): Promise<string> {
    const actor = actorOf(principal);
    let customerId: string | null = null;
    if (body.customer) {
      customerId = (await this.customers.findOrCreate(manager, body.customer, actor, reach.owner)).record.id;
    } else if (body.customerId) {
      try {
        await this.customers.get(body.customerId, reach, manager);
      } catch (error) {
        if (error instanceof CustomerNotFoundError) throw new UnknownCustomerError();
        throw error;
      }
      customerId = body.customerId;
    }
    const id = `ORD-${ulid()}`;
    await manager.getRepository(OrderEntity).insert({
      id,
      customerId,
      status: 'placed',
      currency: body.currency,
      total: '0',
      note: body.note ?? null,
      createdBy: principalRef(principal),
      owner: reach.owner,
    });
    await manager.getRepository(OrderItemEntity).insert(
      body.items.map((item, position) => ({
        orderId: id,
        position,
        product: item.product,
        unitPrice: item.unitPrice,
        quantity: item.quantity,
      })),
    );
    // The total is the database's NUMERIC arithmetic, not JavaScript's.
    await manager.query(
      `UPDATE orders SET total = (SELECT COALESCE(SUM(unit_price * quantity), 0) FROM order_items WHERE order_id = $1)
        WHERE id = $1`,
      [id],
    );
    const [{ total }] = await manager.query<{ total: string }[]>('SELECT total FROM orders WHERE id = $1', [
      id,
    ]);
    await this.audit.record(manager, {
      action: 'order.created',
      actor,
      target: { type: 'order', id },
      details: { items: body.items.length, currency: body.currency, total, customerId },
    });
    return id;
  }

  private async itemsFor(
    manager: EntityManager,
    ids: readonly string[],
  ): Promise<Map<string, OrderItemEntity[]>> {
    const map = new Map<string, OrderItemEntity[]>();
    if (ids.length === 0) return map;
    const items = await manager.getRepository(OrderItemEntity).find({ where: { orderId: In([...ids]) } });
    for (const item of items) map.set(item.orderId, [...(map.get(item.orderId) ?? []), item]);
    return map;
  }

  /**
   * The order, its items and its customer row in one round trip (the hot read path):
   * through the transaction's manager, or (no manager) straight on the pool. An order
   * outside `reach` is not found, by the same query as a missing id.
   */
  private async load(manager: EntityManager | undefined, id: string, reach: Reach): Promise<OrderResponse> {
    const read = (sql: string, params: unknown[]): Promise<LoadedOrderRow[]> =>
      manager
        ? manager.query<LoadedOrderRow[]>(sql, params)
        : this.database.read<LoadedOrderRow>(sql, params);
    const [row] = await read(
      `SELECT o.id, o.customer_id, o.status, o.currency, o.total, o.note, o.created_by, o.owner, o.created_at,
              o.updated_at, o.version,
              COALESCE((SELECT json_agg(json_build_object('position', i.position, 'product', i.product,
                                 'unitPrice', i.unit_price::text, 'quantity', i.quantity) ORDER BY i.position)
                          FROM order_items i WHERE i.order_id = o.id), '[]'::json) AS items,
              to_jsonb(c) AS customer
         FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
        WHERE o.id = $1 AND ${ownedBy('o.owner', 2)}`,
      [id, reach.only],
    );
    if (!row) throw new OrderNotFoundError();
    const order = Object.assign(new OrderEntity(), {
      id: row.id,
      customerId: row.customer_id,
      status: row.status,
      currency: row.currency,
      total: row.total,
      note: row.note,
      createdBy: row.created_by,
      owner: row.owner,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      version: row.version,
    });
    const items = row.items.map((i) => Object.assign(new OrderItemEntity(), { ...i, orderId: id }));
    const customer = row.customer ? this.customers.decryptRow(row.customer) : null;
    return toOrderResponse(order, items, customer);
  }

  async get(id: string, reach: Reach): Promise<OrderResponse> {
    this.assertId(id);
    return this.load(undefined, id, reach);
  }

  /** The orders `reach` covers, newest first. */
  async list(query: ListOrdersQueryDto, reach: Reach): Promise<OrderPageResponse> {
    const limit = query.limit ?? 20;
    const qb = this.dataSource.getRepository(OrderEntity).createQueryBuilder('o');
    if (reach.only !== null) qb.andWhere('o.owner = :owner', { owner: reach.only });
    if (query.status) qb.andWhere('o.status = :status', { status: query.status });
    if (query.createdFrom) qb.andWhere('o.created_at >= :from', { from: query.createdFrom });
    if (query.createdTo) qb.andWhere('o.created_at < :to', { to: query.createdTo });
    if (query.cursor !== undefined)
      qb.andWhere(new Brackets((w) => w.where('o.id < :after', { after: decodeCursor(query.cursor!) })));
    // ULIDs sort by creation time, so the id alone orders and pages the list.
    const rows = await qb
      .orderBy('o.id', 'DESC')
      .take(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    const items = await this.itemsFor(
      this.dataSource.manager,
      page.map((o) => o.id),
    );
    const customers = await this.customers.getMany(page.flatMap((o) => (o.customerId ? [o.customerId] : [])));
    return {
      items: page.map((o) =>
        toOrderResponse(
          o,
          items.get(o.id) ?? [],
          o.customerId ? (customers.get(o.customerId) ?? null) : null,
        ),
      ),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }

  async updateStatus(
    principal: Principal,
    reach: Reach,
    id: string,
    status: OrderStatus,
    ifMatch: string | undefined,
  ): Promise<OrderResponse> {
    this.assertId(id);
    if (ifMatch === undefined) throw new PreconditionRequiredError();
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(OrderEntity);
      const order = await repo.findOne({
        where: { id, ...ownerWhere(reach) },
        lock: { mode: 'pessimistic_write' },
      });
      if (!order) throw new OrderNotFoundError();
      if (ifMatch.trim() !== orderEtag(order.version)) throw new PreconditionFailedError();
      if (!canTransition(order.status, status)) throw new InvalidTransitionError(order.status, status);
      // The version column increments with the update (the row is locked, so no race).
      await repo.update({ id }, { status });
      await this.audit.record(manager, {
        action: 'order.status_changed',
        actor: actorOf(principal),
        target: { type: 'order', id },
        details: { from: order.status, to: status },
      });
      return this.load(manager, id, reach);
    });
  }
}

function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: id })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      v?: unknown;
      after?: unknown;
    };
    if (parsed.v === 1 && typeof parsed.after === 'string' && ORDER_ID_PATTERN.test(parsed.after))
      return parsed.after;
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}
