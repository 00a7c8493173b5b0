import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Envelope } from '../../../contracts/envelope.ts';
import { ApiError, notFound } from '../../../platform/http/api-error.ts';
import { enqueueEvents, type OutboxMessage } from '../../../platform/outbox/outbox.ts';
import type { CommandOutcome } from '../../../platform/saga/participant.ts';
import type { DeliveryAreaRule } from '../domain/delivery-area.ts';
import { isShipped, SIGNAL_FOR_STATUS, transition, type DeliverySignal } from '../domain/delivery-machine.ts';
import { createdEvent, updatedEvent } from './delivery-events.ts';
import {
  findDeliveryByOrder, findDeliveryWithHistory, findRefusal, historyOf, insertDelivery, lockDelivery, lockDeliveryByOrder, lockOrder, recordRefusal,
  stateOf, updateDelivery,
} from './delivery-repository.ts';
import { deliveryViewOf, type DeliveryRow, type DeliveryView } from './delivery-view.ts';

export interface DeliveryApplicationOptions {
  db: Kysely<unknown>;
  schema: string;
  isDeliverable: DeliveryAreaRule;
  /** Wakes the outbox relay after a commit that wrote events. */
  onOutboxWrite?: () => void;
}

/** The consumer's transaction and outbox, as a command handler gets them. */
export interface CommandScope {
  trx: Kysely<unknown>;
  publish(...messages: OutboxMessage[]): void;
}

/** A courier's status update; `courierId` null means "the courier already assigned" (an admin acting for them). */
export interface StatusUpdate {
  status: keyof typeof SIGNAL_FOR_STATUS;
  courierId: string | null;
}

const newDeliveryId = (): string => `del_${randomBytes(12).toString('hex')}`;

/**
 * The delivery service's use cases. Saga commands run in the consumer's
 * transaction and are idempotent by order id: a repeated command (a saga retry
 * with a new commandId) finds what the first one did and answers the same way.
 * Courier updates change a delivery under its row lock and queue
 * `delivery.updated` in the same transaction.
 */
export class DeliveryApplication {
  readonly #options: DeliveryApplicationOptions;

  constructor(options: DeliveryApplicationOptions) {
    this.#options = options;
  }

  // ── saga commands ─────────────────────────────────────────────────────────

  async create(scope: CommandScope, input: { orderId: string; customerId: string; restaurantId: string; address: string }, cause: Envelope): Promise<CommandOutcome> {
    const { schema } = this.#options;
    const { trx } = scope;
    await lockOrder(trx, schema, input.orderId);
    const existing = await findDeliveryByOrder(trx, schema, input.orderId);
    if (existing) return { ok: true, result: { deliveryId: existing.id } };
    const refused = await findRefusal(trx, schema, input.orderId);
    if (refused !== undefined) return { ok: false, reason: refused };
    if (!this.#options.isDeliverable(input.address)) {
      // Recorded, so a retry gets the same answer even if the area changes meanwhile.
      const reason = `address_not_deliverable: ${input.address} is outside the delivery area`;
      await recordRefusal(trx, schema, input.orderId, reason);
      return { ok: false, reason };
    }
    const row = await insertDelivery(trx, schema, {
      id: newDeliveryId(), order_id: input.orderId, customer_id: input.customerId, restaurant_id: input.restaurantId, address: input.address,
      correlation_id: cause.correlationId, traceparent: cause.traceparent,
    });
    scope.publish(createdEvent(row, cause.eventId));
    return { ok: true, result: { deliveryId: row.id } };
  }

  async cancel(scope: CommandScope, input: { orderId: string; reason: string }, cause: Envelope): Promise<CommandOutcome> {
    const { schema } = this.#options;
    const { trx } = scope;
    await lockOrder(trx, schema, input.orderId);
    const row = await lockDeliveryByOrder(trx, schema, input.orderId);
    if (!row) {
      // Nothing to stop; a late CreateDelivery for this order must not start a courier on a cancelled order.
      await recordRefusal(trx, schema, input.orderId, `order_cancelled: the order was cancelled before its delivery was created (${input.reason})`);
      return { ok: true, result: { shipped: false } };
    }
    if (row.status === 'CANCELLED') return { ok: true, result: { shipped: false } };
    if (isShipped(row.status)) return { ok: true, result: { shipped: true } };
    const result = transition(stateOf(row), { type: 'CANCEL' });
    if (!result.ok) throw new Error(`delivery ${row.id}: ${result.rejection.message}`); // unreachable: CREATED and COURIER_ASSIGNED cancel
    const updated = await updateDelivery(trx, schema, row, result.state, input.reason);
    scope.publish(updatedEvent(updated, cause.eventId));
    return { ok: true, result: { shipped: false } };
  }

  // ── courier updates (HTTP) ────────────────────────────────────────────────

  async updateStatus(deliveryId: string, update: StatusUpdate): Promise<DeliveryView> {
    const { db, schema } = this.#options;
    const outgoing: OutboxMessage[] = [];
    const row = await db.transaction().execute(async (trx) => {
      outgoing.length = 0;
      const locked = await lockDelivery(trx, schema, deliveryId);
      if (!locked) throw notFound('delivery', deliveryId);
      const courierId = update.courierId ?? locked.courier_id;
      if (courierId === null) {
        throw new ApiError(400, 'courier_required', `give the courierId to move delivery ${deliveryId} to ${update.status}`);
      }
      const signal = { type: SIGNAL_FOR_STATUS[update.status], courierId } as DeliverySignal;
      const result = transition(stateOf(locked), signal);
      if (!result.ok) {
        const status = result.rejection.code === 'courier_mismatch' ? 403 : 409;
        throw new ApiError(status, result.rejection.code, result.rejection.message, { status: locked.status, courierId: locked.courier_id });
      }
      const updated = await updateDelivery(trx, schema, locked, result.state, null);
      outgoing.push(updatedEvent(updated, null));
      await enqueueEvents(trx, schema, outgoing);
      return updated;
    });
    this.#options.onOutboxWrite?.();
    return this.#viewOf(row);
  }

  // ── reads ─────────────────────────────────────────────────────────────────

  async view(deliveryId: string): Promise<DeliveryView> {
    const found = await findDeliveryWithHistory(this.#options.db, this.#options.schema, { id: deliveryId });
    if (!found) throw notFound('delivery', deliveryId);
    return deliveryViewOf(found.row, found.history);
  }

  async findByOrder(orderId: string): Promise<DeliveryView | null> {
    const found = await findDeliveryWithHistory(this.#options.db, this.#options.schema, { orderId });
    return found ? deliveryViewOf(found.row, found.history) : null;
  }

  /** Why no delivery will be made for an order (address outside the area, cancelled first), or null. */
  refusalOf(orderId: string): Promise<string | null> {
    return findRefusal(this.#options.db, this.#options.schema, orderId).then((reason) => reason ?? null);
  }

  async #viewOf(row: DeliveryRow): Promise<DeliveryView> {
    return deliveryViewOf(row, await historyOf(this.#options.db, this.#options.schema, row.id));
  }
}
