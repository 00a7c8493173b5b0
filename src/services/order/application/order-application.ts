import type { Kysely, Updateable } from 'kysely';
import type { MessageContext } from '../../../contracts/codec.ts';
import type { OutboxMessage } from '../../../platform/outbox/outbox.ts';
import { outboxTransaction } from '../../../platform/outbox/outbox-transaction.ts';
import type { Decision, RefusalCode } from '../domain/order-decisions.ts';
import { checkTotal, sameDetails, type OrderDetails } from '../domain/order-details.ts';
import { transitionAll, type OrderStatus } from '../domain/order-machine.ts';
import { orderDb, type OrdersTable } from '../store/tables.ts';
import { transitionEvents } from './order-events.ts';
import { findOrderRow, findOrderWithHistory, historyOf, listOrders, lockOrder, recordStatusChange } from './order-repository.ts';
import { orderSummaryOf, orderViewOf, type HistoryRow, type OrderRow, type OrderSummaryView, type OrderView } from './order-view.ts';

export type Publish = (...messages: OutboxMessage[]) => void;

export interface OrderApplicationOptions {
  db: Kysely<unknown>;
  schema: string;
  /** Wakes the outbox relay after a commit that wrote events. */
  onOutboxWrite?: () => void;
}

export interface CreateOrderInput extends OrderDetails {
  orderId: string;
}

export type CreateOutcome =
  | { ok: true; order: OrderRow; created: boolean }
  | { ok: false; code: 'invalid_total' | 'order_exists' | 'order_abandoned'; message: string };

/** A status change asked of one order: how to decide, why, and what the events it publishes descend from. */
export interface ChangeRequest {
  decide(order: OrderRow): Decision;
  reason: string | null;
  context(order: OrderRow): MessageContext;
  /** Extra columns written with the first transition (e.g. the payment id on confirmation). */
  changes?: Updateable<OrdersTable>;
}

export type ChangeOutcome =
  | { kind: 'not_found' }
  | { kind: 'moved'; order: OrderRow; previousStatus: OrderStatus }
  | { kind: 'unchanged'; order: OrderRow; note: string }
  | { kind: 'refused'; order: OrderRow; code: RefusalCode; message: string };

function detailsOf(row: OrderRow): OrderDetails {
  return {
    customerId: row.customer_id, restaurantId: row.restaurant_id, items: row.items,
    total: { amount: row.total_amount, currency: row.currency }, deliveryAddress: row.delivery_address,
  };
}

/**
 * The order service's use cases. Every change happens under the order's row
 * lock, runs each step through the state machine, appends the audit trail and
 * queues the events in the same transaction (the caller's: a consumer's
 * handler, or one of its own for HTTP).
 */
export class OrderApplication {
  readonly #options: OrderApplicationOptions;

  constructor(options: OrderApplicationOptions) {
    this.#options = options;
  }

  /** Work and the events it publishes, committed together (the relay is woken after). */
  #transaction<T>(work: (trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void) => Promise<T>): Promise<T> {
    return outboxTransaction(this.#options.db, this.#options.schema, this.#options.onOutboxWrite)(work);
  }


  /** CreateOrder: a new order in PAYMENT_PENDING; the same order again is a repeat, other content under its id a refusal. */
  async create(trx: Kysely<unknown>, input: CreateOrderInput, meta: { correlationId: string; traceparent: string }): Promise<CreateOutcome> {
    const total = checkTotal(input.items, input.total);
    if (!total.ok) return total;
    const db = orderDb(trx, this.#options.schema);
    const abandoned = await db.selectFrom('cancelled_before_creation').selectAll().where('order_id', '=', input.orderId).executeTakeFirst();
    if (abandoned) {
      return { ok: false, code: 'order_abandoned', message: `the checkout of order ${input.orderId} was abandoned before the order was created (${abandoned.outcome}: ${abandoned.reason})` };
    }
    const inserted = await db.insertInto('orders').values({
      id: input.orderId, customer_id: input.customerId, restaurant_id: input.restaurantId, items: JSON.stringify(input.items),
      total_amount: input.total.amount, currency: input.total.currency, delivery_address: input.deliveryAddress, status: 'PAYMENT_PENDING',
      payment_id: null, cancel_reason: null, correlation_id: meta.correlationId, traceparent: meta.traceparent, version: 1, updated_at: new Date(),
    }).onConflict((conflict) => conflict.column('id').doNothing()).returningAll().executeTakeFirst();
    if (inserted) {
      await db.insertInto('order_status_history').values({ order_id: inserted.id, seq: 1, from_status: null, to_status: 'PAYMENT_PENDING', reason: 'checkout' }).execute();
      return { ok: true, order: inserted, created: true };
    }
    const existing = await lockOrder(trx, this.#options.schema, input.orderId);
    if (!existing) throw new Error(`order ${input.orderId} conflicted on insert but cannot be read`);
    if (sameDetails(detailsOf(existing), input)) return { ok: true, order: existing, created: false };
    return { ok: false, code: 'order_exists', message: `order ${input.orderId} already exists with other content (customer, restaurant, items, total or address)` };
  }

  /** Remembers that a checkout was abandoned before its order existed, so a late CreateOrder cannot bring it back. */
  async recordCancelledBeforeCreation(trx: Kysely<unknown>, orderId: string, outcome: 'PAYMENT_FAILED' | 'CANCELLED', reason: string): Promise<void> {
    await orderDb(trx, this.#options.schema).insertInto('cancelled_before_creation').values({ order_id: orderId, outcome, reason })
      .onConflict((conflict) => conflict.column('order_id').doNothing()).execute();
  }

  /** Decides and applies a status change inside the caller's transaction; a refusal writes nothing. */
  async change(trx: Kysely<unknown>, publish: Publish, orderId: string, request: ChangeRequest): Promise<ChangeOutcome> {
    const row = await lockOrder(trx, this.#options.schema, orderId);
    if (!row) return { kind: 'not_found' };
    const decision = request.decide(row);
    if (decision.kind === 'unchanged') return { kind: 'unchanged', order: row, note: decision.note };
    if (decision.kind === 'refuse') return { kind: 'refused', order: row, code: decision.code, message: decision.message };
    const planned = transitionAll(row.status, decision.signals);
    if (!planned.ok) return { kind: 'refused', order: row, code: planned.rejection.code, message: planned.rejection.message };
    let current = row;
    for (const [index, step] of planned.transitions.entries()) {
      const cancels = step.effects.some((effect) => effect.event === 'order.cancelled');
      current = await recordStatusChange(trx, this.#options.schema, current, step.to, request.reason, {
        ...(index === 0 ? request.changes : {}),
        ...(cancels ? { cancel_reason: request.reason ?? 'cancelled' } : {}),
      });
      publish(...transitionEvents(current, step, request.reason, request.context(current)));
    }
    return { kind: 'moved', order: current, previousStatus: row.status };
  }

  /** The same change in a transaction of its own (the HTTP API). */
  changeNow(orderId: string, request: ChangeRequest): Promise<ChangeOutcome> {
    return this.#transaction((trx, publish) => this.change(trx, publish, orderId, request));
  }

  findRow(orderId: string): Promise<OrderRow | undefined> {
    return findOrderRow(this.#options.db, this.#options.schema, orderId);
  }

  async view(orderId: string): Promise<OrderView | null> {
    const found = await this.findWithHistory(orderId);
    return found ? orderViewOf(found.row, found.history) : null;
  }

  /** An order row and its history, read in one statement (GET /orders/:id checks access on the row, then shows both). */
  findWithHistory(orderId: string): Promise<{ row: OrderRow; history: HistoryRow[] } | undefined> {
    return findOrderWithHistory(this.#options.db, this.#options.schema, orderId);
  }

  /** The view of an order row the caller has just read (its access check), without reading the row again. */
  async viewOf(row: OrderRow): Promise<OrderView> {
    return orderViewOf(row, await historyOf(this.#options.db, this.#options.schema, row.id));
  }

  async list(filter: { customerId?: string; restaurantId?: string; status?: OrderStatus; limit: number }): Promise<OrderSummaryView[]> {
    return (await listOrders(this.#options.db, this.#options.schema, filter)).map(orderSummaryOf);
  }
}
