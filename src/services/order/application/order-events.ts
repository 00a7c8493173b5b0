import { createEnvelope, type MessageContext } from '../../../contracts/codec.ts';
import { OrderCancelled, OrderConfirmed, OrderCreated, OrderUpdated } from '../../../contracts/events/order.ts';
import type { OutboxMessage } from '../../../platform/outbox/outbox.ts';
import type { OrderTransition } from '../domain/order-machine.ts';
import type { OrderRow } from './order-view.ts';

/**
 * The outbox messages for one transition, filled from the order as it is after
 * it: `order.updated` always, plus the transition's own event.
 */
export function transitionEvents(row: OrderRow, change: OrderTransition, reason: string | null, context: MessageContext): OutboxMessage[] {
  const total = { amount: row.total_amount, currency: row.currency };
  return change.effects.map((effect): OutboxMessage => {
    switch (effect.event) {
      case 'order.updated':
        return { topic: OrderUpdated.topic, envelope: createEnvelope(OrderUpdated, { orderId: row.id, status: change.to, previousStatus: change.from, reason }, context) };
      case 'order.created':
        return {
          topic: OrderCreated.topic,
          envelope: createEnvelope(OrderCreated, { orderId: row.id, customerId: row.customer_id, restaurantId: row.restaurant_id, items: row.items, total }, context),
        };
      case 'order.confirmed':
        return {
          topic: OrderConfirmed.topic,
          envelope: createEnvelope(OrderConfirmed, {
            orderId: row.id, customerId: row.customer_id, paymentId: row.payment_id ?? '', total, deliveryAddress: row.delivery_address,
          }, context),
        };
      case 'order.cancelled':
        return { topic: OrderCancelled.topic, envelope: createEnvelope(OrderCancelled, { orderId: row.id, previousStatus: change.from, reason: reason ?? 'cancelled' }, context) };
    }
  });
}
