import { type Principal, type Reach } from '@orderops/access';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditService, type AuditActor } from '@orderops/audit';
import {
  CustomerExportRegistry,
  CustomersService,
  CustomerNotFoundError,
  type CustomerRecord,
} from '@orderops/pii';
import { ValidationFailedError } from '@orderops/core';
import { createHash } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { IdempotencyRepository, type IdempotencyKeyRef } from '../idempotency/idempotency.repository.js';
import {
  CreatedByFilterForbiddenError,
  CustomerAmbiguousError,
  ExternalRefTakenError,
  IdempotencyKeyReusedError,
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
import { priceDecimalProblems } from './price-decimals.js';
import type { OrderStatus } from './order.entity.js';
import { OrderPlacementService } from './order-placement.service.js';
import { OrdersRepository, type OrderWithItems } from './orders.repository.js';
import { orderEtag, toOrderResponse } from './orders.mapper.js';
import { decodeCursor, encodeCursor, ORDER_ID_PATTERN } from './order-cursor.js';

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

export const principalRef = (principal: Principal): string => `${principal.type}:${principal.id}`;
const actorOf = (principal: Principal): AuditActor => ({ type: principal.type, id: principal.id });

/** What a transaction hands back for the response: the order, and its customer if already known. */
interface Written {
  readonly loaded: OrderWithItems;
  readonly customer?: CustomerRecord | null;
}

@Injectable()
export class OrdersService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly placement: OrderPlacementService,
    private readonly customers: CustomersService,
    private readonly exportRegistry: CustomerExportRegistry,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    // The personal-data export lists the person's orders; pii cannot import orders, so
    // orders contributes its section. The customer is the export's subject, so not repeated.
    this.exportRegistry.register('orders', async (customerId, manager, reach) => {
      const orders = await this.orders.getByCustomer(customerId, reach, manager);
      return orders.map(({ order, items }) => toOrderResponse(order, items, null));
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
    const decimals = priceDecimalProblems(body);
    if (decimals.length > 0) throw new ValidationFailedError(decimals);
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new InvalidIdempotencyKeyError();
    }
    const requestHash = createHash('sha256').update(canonical(body)).digest('hex');
    const key =
      idempotencyKey === undefined ? undefined : { principal: principalRef(principal), idempotencyKey };
    const orderId = this.placement.newOrderId();
    const { written, replayed } = await this.dataSource
      .transaction(async (manager) => {
        if (key !== undefined) {
          const earlier = await this.claimIdempotencyKey(manager, key, requestHash, orderId);
          if (earlier)
            return { written: { loaded: await this.mustLoad(earlier, reach, manager) }, replayed: true };
        }
        return { written: await this.insertOrder(manager, principal, reach, body, orderId), replayed: false };
      })
      .catch((error: unknown) => this.explainConflict(error, reach, body.externalRef ?? null));
    return { order: await this.respond(written), replayed };
  }

  /** A concurrent create that took the same externalRef first turns this one into a 409. */
  private async explainConflict(error: unknown, reach: Reach, externalRef: string | null): Promise<never> {
    if (externalRef === null || !this.orders.isExternalRefTaken(error)) throw error;
    const taken = await this.orders.findExternalRefs(reach.owner, [externalRef]);
    throw new ExternalRefTakenError(taken.get(externalRef));
  }

  /**
   * Claims the key for this request's order (`orderId`, placed next in the same
   * transaction), or returns the order an earlier request with the same key and body
   * created. Concurrent requests with one key serialize on the key's row.
   */
  private async claimIdempotencyKey(
    manager: EntityManager,
    key: IdempotencyKeyRef,
    requestHash: string,
    orderId: string,
  ): Promise<string | undefined> {
    const claim = { requestHash, orderId, expiresAt: new Date(Date.now() + IDEMPOTENCY_TTL_MS) };
    const row = await this.idempotency.claim(key, claim, manager);
    if (row === undefined) return undefined;
    if (row.expiresAt <= new Date() || (row.orderId === null && row.requestHash === requestHash)) {
      // Expired, or a key stored without its order: this request starts it over.
      await this.idempotency.reclaim(key, claim, manager);
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
    orderId: string,
  ): Promise<Written> {
    const actor = actorOf(principal);
    // `null` is allowed as "none" by @IsOptional, like an absent field.
    const externalRef = body.externalRef ?? null;
    if (externalRef !== null) {
      const taken = await this.orders.findExternalRefs(reach.owner, [externalRef], manager);
      const existing = taken.get(externalRef);
      if (existing !== undefined) throw new ExternalRefTakenError(existing);
    }
    let customer: CustomerRecord | null = null;
    if (body.customer) {
      customer = (await this.customers.findOrCreate(manager, body.customer, actor, reach.owner)).record;
    } else if (body.customerId) {
      try {
        customer = await this.customers.get(body.customerId, reach, manager);
      } catch (error) {
        if (error instanceof CustomerNotFoundError) throw new UnknownCustomerError();
        throw error;
      }
    }
    const [placed] = await this.placement.place(
      manager,
      { createdBy: principalRef(principal), owner: reach.owner, actor },
      [
        {
          id: orderId,
          customerId: customer?.id ?? null,
          currency: body.currency,
          note: body.note ?? null,
          externalRef,
          items: body.items,
        },
      ],
      'request',
    );
    return { loaded: await this.mustLoad(placed.id, reach, manager), customer };
  }

  private async mustLoad(id: string, reach: Reach, manager?: EntityManager): Promise<OrderWithItems> {
    const loaded = await this.orders.getById(id, reach, manager);
    if (!loaded) throw new OrderNotFoundError();
    return loaded;
  }

  /**
   * The response for orders read or written, with their customers through pii's public
   * batch read (decrypted, then masked by the mapper). Outside any transaction: the
   * embedded database has one session, which a transaction holds until it ends.
   */
  private async respondAll(written: readonly Written[]): Promise<OrderResponse[]> {
    const unknown = written.flatMap(({ loaded, customer }) =>
      customer === undefined && loaded.order.customerId !== null ? [loaded.order.customerId] : [],
    );
    const customers =
      unknown.length > 0 ? await this.customers.getMany(unknown) : new Map<string, CustomerRecord>();
    return written.map(({ loaded: { order, items }, customer }) =>
      toOrderResponse(
        order,
        items,
        customer !== undefined
          ? customer
          : order.customerId !== null
            ? (customers.get(order.customerId) ?? null)
            : null,
      ),
    );
  }

  private async respond(written: Written): Promise<OrderResponse> {
    const [response] = await this.respondAll([written]);
    return response;
  }

  /** The order if `reach` covers it; any other is not found, exactly like a missing id. */
  async get(id: string, reach: Reach): Promise<OrderResponse> {
    this.assertId(id);
    return this.respond({ loaded: await this.mustLoad(id, reach) });
  }

  /** The orders `reach` covers, newest first; `createdBy` is an operator's filter. */
  async list(principal: Principal, query: ListOrdersQueryDto, reach: Reach): Promise<OrderPageResponse> {
    if (query.createdBy !== undefined && principal.type !== 'operator')
      throw new CreatedByFilterForbiddenError();
    const limit = query.limit ?? 20;
    // ULIDs sort by creation time, so the id alone orders and pages the list.
    const rows = await this.orders.search(
      {
        status: query.status,
        externalRef: query.externalRef,
        customerId: query.customerId,
        importId: query.importId,
        createdBy: query.createdBy,
        createdFrom: query.createdFrom,
        createdTo: query.createdTo,
        before: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
        limit: limit + 1,
      },
      reach,
    );
    const page = rows.slice(0, limit);
    return {
      items: await this.respondAll(page.map((loaded) => ({ loaded }))),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].order.id) : null,
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
    const loaded = await this.dataSource.transaction(async (manager) => {
      const order = await this.orders.getForUpdate(id, reach, manager);
      if (!order) throw new OrderNotFoundError();
      if (ifMatch.trim() !== orderEtag(order.version)) throw new PreconditionFailedError();
      if (!canTransition(order.status, status)) throw new InvalidTransitionError(order.status, status);
      // The version column increments with the update (the row is locked, so no race).
      await this.orders.updateStatus(id, status, manager);
      await this.audit.record(manager, {
        action: 'order.status_changed',
        actor: actorOf(principal),
        target: { type: 'order', id },
        details: { from: order.status, to: status },
      });
      return this.mustLoad(id, reach, manager);
    });
    return this.respond({ loaded });
  }
}
