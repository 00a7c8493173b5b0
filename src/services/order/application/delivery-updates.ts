import { causedBy } from '../../../contracts/codec.ts';
import { DeliveryUpdated } from '../../../contracts/events/delivery.ts';
import type { MessageConsumer } from '../../../platform/messaging/message-consumer.ts';
import { decideDeliveryUpdate } from '../domain/order-decisions.ts';
import type { OrderApplication } from './order-application.ts';

/** A decision the machine refused: a bug, not news; dead-lettered at once (never retried) so an operator sees it. */
class DeliveryUpdateRefused extends Error {
  override name = 'DeliveryUpdateRefused';
  readonly retriable = false;
}

/**
 * The courier's progress drives the order: PICKED_UP → OUT_FOR_DELIVERY,
 * DELIVERED → DELIVERED, through every state in between. Stale, repeated and
 * irrelevant updates, updates for cancelled orders and for orders this service
 * does not know change nothing.
 */
export function consumeDeliveryUpdates(consumer: MessageConsumer, app: OrderApplication): void {
  consumer.on(DeliveryUpdated, async (envelope, context) => {
    const { orderId, status, courierId } = envelope.payload;
    const outcome = await app.change(context.trx, context.publish, orderId, {
      decide: (order) => decideDeliveryUpdate(order.status, status),
      reason: null,
      context: () => causedBy(envelope, 'order'),
    });
    if (outcome.kind === 'refused') {
      throw new DeliveryUpdateRefused(`delivery ${status} (courier ${courierId ?? 'none'}) cannot move order ${orderId}: ${outcome.message}`);
    }
  });
}
