import { Injectable } from '@nestjs/common';
import { AuditService, type AuditActor } from '@orderops/audit';
import { pooledRandom } from '@orderops/core';
import type { EntityManager } from 'typeorm';
import { monotonicFactory } from 'ulid';
import { normalizedPrice, orderTotal, type PricedItem } from './order-total.js';
import { OrdersRepository, type NewOrder, type OrderAuthor } from './orders.repository.js';

export interface OrderDraft {
  /** From newOrderId() when the id must be known before placing; assigned here otherwise. */
  readonly id?: string;
  readonly customerId: string | null;
  readonly currency: string;
  readonly note: string | null;
  readonly externalRef: string | null;
  readonly items: readonly (PricedItem & { readonly product: string })[];
}

/** Who places orders: the creator and owner written on them, and the audit actor. */
export interface OrderPlacer extends OrderAuthor {
  readonly actor: AuditActor;
}

/**
 * How the placed orders are audited. A request (POST /orders) records one `order.created`
 * per order; an import summarises: its `import.completed` event, written in the same
 * transaction, counts the orders it placed.
 */
export type OrderOrigin = 'request' | 'import';

export type PlacedOrder = NewOrder;

/**
 * The one way orders come into being, for POST /orders (a batch of one) and imports alike:
 * ids, the total rule, the insert and the audit, in the caller's transaction.
 */
@Injectable()
export class OrderPlacementService {
  /** ULIDs sort by time; monotonic, so orders placed in one millisecond keep their order. */
  private readonly nextId = monotonicFactory(pooledRandom());

  constructor(
    private readonly orders: OrdersRepository,
    private readonly audit: AuditService,
  ) {}

  /** An id for an order about to be placed, when something must name it first (an Idempotency-Key). */
  newOrderId(): string {
    return `ORD-${this.nextId()}`;
  }

  /**
   * Of `refs`, those already an externalRef of `owner`'s orders, with the order that has
   * each: checked before placing, so a taken one is refused with a clear answer rather
   * than by the unique index failing the whole transaction.
   */
  takenExternalRefs(
    manager: EntityManager,
    owner: string,
    refs: readonly string[],
  ): Promise<Map<string, string>> {
    return this.orders.findExternalRefs(owner, refs, manager);
  }

  /** True when a write failed because a concurrent writer took one of its externalRefs first. */
  isExternalRefTaken(error: unknown): boolean {
    return this.orders.isExternalRefTaken(error);
  }

  async place(
    manager: EntityManager,
    placer: OrderPlacer,
    drafts: readonly OrderDraft[],
    origin: OrderOrigin,
  ): Promise<PlacedOrder[]> {
    const placed = drafts.map((draft) => ({
      ...draft,
      id: draft.id ?? this.newOrderId(),
      // Stored as the currency writes amounts: `1.5` EUR is kept as `1.50`.
      items: draft.items.map((item) => ({
        ...item,
        unitPrice: normalizedPrice(item.unitPrice, draft.currency),
      })),
      total: orderTotal(draft.items, draft.currency),
    }));
    await this.orders.createMany(
      { createdBy: placer.createdBy, owner: placer.owner, importId: placer.importId ?? null },
      placed,
      manager,
    );
    if (origin === 'request') {
      for (const order of placed) {
        await this.audit.record(manager, {
          action: 'order.created',
          actor: placer.actor,
          target: { type: 'order', id: order.id },
          details: {
            items: order.items.length,
            currency: order.currency,
            total: order.total,
            customerId: order.customerId,
          },
        });
      }
    }
    return placed;
  }
}
