import { causedBy } from '../../../contracts/codec.ts';
import { CancelOrder, ConfirmOrder, CreateOrder, FinishOrderCancellation } from '../../../contracts/events/saga.ts';
import type { MessageConsumer } from '../../../platform/messaging/message-consumer.ts';
import { handleCommand, type CommandOutcome } from '../../../platform/saga/participant.ts';
import { decideCheckoutCancel, decideConfirm, decideFinishCancellation } from '../domain/order-decisions.ts';
import type { ChangeOutcome, OrderApplication } from './order-application.ts';

/** A change's answer to the saga: done (moved or already there) with the status now, or refused with why. */
function answer(outcome: Exclude<ChangeOutcome, { kind: 'not_found' }>, changedKey: string): CommandOutcome {
  if (outcome.kind === 'refused') return { ok: false, reason: `${outcome.code}: ${outcome.message}`, result: { code: outcome.code, status: outcome.order.status } };
  return { ok: true, result: { orderId: outcome.order.id, status: outcome.order.status, [changedKey]: outcome.kind === 'moved' } };
}

const unknownOrder = (orderId: string): CommandOutcome => ({ ok: false, reason: `order_not_found: order ${orderId} does not exist`, result: { code: 'order_not_found' } });

/**
 * The order service's part in the sagas. Each command is idempotent twice
 * over: the inbox drops a redelivered message, and the decision on the order's
 * status makes the same command with a new commandId (a saga retry) answer the
 * same way without applying anything again.
 */
export function handleOrderCommands(consumer: MessageConsumer, app: OrderApplication): void {
  handleCommand(consumer, 'order', CreateOrder, async (payload, context, envelope): Promise<CommandOutcome> => {
    const created = await app.create(context.trx, {
      orderId: payload.orderId, customerId: payload.customerId, restaurantId: payload.restaurantId,
      items: payload.items, total: payload.total, deliveryAddress: payload.deliveryAddress,
    }, { correlationId: envelope.correlationId, traceparent: envelope.traceparent });
    if (!created.ok) return { ok: false, reason: `${created.code}: ${created.message}`, result: { code: created.code } };
    return { ok: true, result: { orderId: created.order.id, status: created.order.status, created: created.created } };
  });

  handleCommand(consumer, 'order', ConfirmOrder, async (payload, context, envelope): Promise<CommandOutcome> => {
    const outcome = await app.change(context.trx, context.publish, payload.orderId, {
      decide: (order) => decideConfirm({ status: order.status, paymentId: order.payment_id }, payload.paymentId),
      reason: null,
      context: () => causedBy(envelope, 'order'),
      changes: { payment_id: payload.paymentId },
    });
    return outcome.kind === 'not_found' ? unknownOrder(payload.orderId) : answer(outcome, 'confirmed');
  });

  handleCommand(consumer, 'order', CancelOrder, async (payload, context, envelope): Promise<CommandOutcome> => {
    const outcome = await app.change(context.trx, context.publish, payload.orderId, {
      decide: (order) => decideCheckoutCancel(order.status, payload.outcome),
      reason: payload.reason,
      context: () => causedBy(envelope, 'order'),
    });
    if (outcome.kind === 'not_found') {
      // The compensation of a CreateOrder that never ran: nothing to cancel, and nothing may be created later.
      await app.recordCancelledBeforeCreation(context.trx, payload.orderId, payload.outcome, payload.reason);
      return { ok: true, result: { orderId: payload.orderId, status: null, cancelled: false } };
    }
    return answer(outcome, 'cancelled');
  });

  handleCommand(consumer, 'order', FinishOrderCancellation, async (payload, context, envelope): Promise<CommandOutcome> => {
    const outcome = await app.change(context.trx, context.publish, payload.orderId, {
      decide: (order) => decideFinishCancellation(order.status, payload.outcome),
      reason: payload.reason,
      context: () => causedBy(envelope, 'order'),
    });
    return outcome.kind === 'not_found' ? unknownOrder(payload.orderId) : answer(outcome, 'finished');
  });
}
