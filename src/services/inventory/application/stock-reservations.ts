import type { Kysely } from 'kysely';
import type { Envelope } from '../../../contracts/envelope.ts';
import type { OutboxMessage } from '../../../platform/outbox/outbox.ts';
import type { CommandOutcome } from '../../../platform/saga/participant.ts';
import { checkAvailability, mergeLines, moveStock, type OrderedLine, type StockLine } from '../domain/availability.ts';
import { decide, type ReservationCommand, type ReservationDecision } from '../domain/reservation-machine.ts';
import { reservationEvent } from './inventory-events.ts';
import {
  findRefusal, findReservation, insertReservation, linesOf, lockOrder, lockStock, recordRefusal, stateOf, updateReservation, writeStock,
  type ReservationRow,
} from './inventory-repository.ts';

/** The consumer's transaction and outbox, as a command handler gets them. */
export interface CommandScope {
  trx: Kysely<unknown>;
  publish(...messages: OutboxMessage[]): void;
}

type Applied = Extract<ReservationDecision, { outcome: 'applied' }>;

/**
 * The inventory service's part in the sagas: reserve, commit and release an
 * order's stock. Each runs in the consumer's transaction under the order's
 * lock, and is idempotent by order id beyond the inbox: a saga retry (a new
 * command id for the same business command) finds what the first attempt did
 * and answers the same way without touching stock. Stock rows are locked
 * `FOR UPDATE` in product-id order, so concurrent checkouts of the last units
 * serialise on the row and never oversell.
 */
export class StockReservations {
  readonly #schema: string;

  constructor(schema: string) {
    this.#schema = schema;
  }

  async reserve(scope: CommandScope, input: { orderId: string; restaurantId: string; items: readonly OrderedLine[] }, cause: Envelope): Promise<CommandOutcome> {
    const { trx } = scope;
    const schema = this.#schema;
    const { orderId } = input;
    await lockOrder(trx, schema, orderId);
    const decision = decide(stateOf(await findReservation(trx, schema, orderId)), 'RESERVE');
    if (decision.outcome !== 'applied') return this.#answerWithoutChange(decision, 'RESERVE', orderId);
    const refused = await findRefusal(trx, schema, orderId);
    if (refused !== undefined) return { ok: false, reason: refused };

    const lines = mergeLines(input.items);
    const stock = await lockStock(trx, schema, lines.map((line) => line.productId));
    const availability = checkAvailability(input.items, stock, input.restaurantId);
    if (!availability.ok) {
      // Remembered, so a retry answers the same even if stock arrives meanwhile (the saga is already compensating).
      await recordRefusal(trx, schema, orderId, availability.reason);
      return { ok: false, reason: availability.reason };
    }
    await this.#moveLines(trx, lines, decision, stock);
    await insertReservation(trx, schema, orderId, cause.correlationId, lines);
    scope.publish(reservationEvent(decision.event, { orderId, lines, reason: '' }, cause));
    return { ok: true, result: { reservationId: orderId } };
  }

  async commit(scope: CommandScope, input: { orderId: string }, cause: Envelope): Promise<CommandOutcome> {
    const { trx } = scope;
    const { orderId } = input;
    await lockOrder(trx, this.#schema, orderId);
    const row = await findReservation(trx, this.#schema, orderId);
    const decision = decide(stateOf(row), 'COMMIT');
    if (decision.outcome !== 'applied' || !row) return this.#answerWithoutChange(decision, 'COMMIT', orderId);
    await this.#apply(scope, row, decision, null, cause);
    return { ok: true, result: { reservationId: orderId } };
  }

  async release(scope: CommandScope, input: { orderId: string; reason: string }, cause: Envelope): Promise<CommandOutcome> {
    const { trx } = scope;
    const schema = this.#schema;
    const { orderId, reason } = input;
    await lockOrder(trx, schema, orderId);
    const row = await findReservation(trx, schema, orderId);
    const decision = decide(stateOf(row), 'RELEASE');
    if (decision.outcome !== 'applied' || !row) {
      // Released before any reservation arrived: a late ReserveStock for this order must not hold stock nobody will release.
      if (!row) await recordRefusal(trx, schema, orderId, `order_released: the order's stock was released before it was reserved (${reason})`);
      return this.#answerWithoutChange(decision, 'RELEASE', orderId);
    }
    await this.#apply(scope, row, decision, reason, cause);
    return { ok: true, result: { reservationId: orderId, released: true, restocked: decision.movement === 'restock' } };
  }

  /** Moves the reservation's stock, then the reservation, then queues its event: one transaction. */
  async #apply(scope: CommandScope, row: ReservationRow, decision: Applied, reason: string | null, cause: Envelope): Promise<void> {
    const { trx } = scope;
    const lines = await linesOf(trx, this.#schema, row.order_id);
    await this.#moveLines(trx, lines, decision, await lockStock(trx, this.#schema, lines.map((line) => line.productId)));
    await updateReservation(trx, this.#schema, row, decision.state, reason);
    scope.publish(reservationEvent(decision.event, { orderId: row.order_id, lines, reason: reason ?? '' }, cause));
  }

  async #moveLines(trx: Kysely<unknown>, lines: readonly StockLine[], decision: Applied, stock: Awaited<ReturnType<typeof lockStock>>): Promise<void> {
    for (const line of lines) {
      const level = stock.get(line.productId);
      if (!level) throw new Error(`stock of ${line.productId} is missing though a reservation names it`);
      await writeStock(trx, this.#schema, line.productId, moveStock(level, decision.movement, line.quantity));
    }
  }

  #answerWithoutChange(decision: ReservationDecision, command: ReservationCommand, orderId: string): CommandOutcome {
    if (decision.outcome === 'refused') return { ok: false, reason: `${decision.code}: order ${orderId}: ${decision.message}` };
    if (command === 'RELEASE') return { ok: true, result: { reservationId: orderId, released: false, restocked: false } };
    return { ok: true, result: { reservationId: orderId } };
  }
}
