import { createEnvelope, type MessageContext } from '../../../contracts/codec.ts';
import { DeliveryCreated, DeliveryUpdated } from '../../../contracts/events/delivery.ts';
import type { OutboxMessage } from '../../../platform/outbox/outbox.ts';
import type { DeliveryRow } from './delivery-view.ts';

/** Every event about a delivery carries its saga's correlation id and trace; the key is the order id. */
function contextOf(row: DeliveryRow, causationId: string | null): MessageContext {
  return { source: 'delivery', key: row.order_id, correlationId: row.correlation_id, causationId, traceparent: row.traceparent };
}

export function createdEvent(row: DeliveryRow, causationId: string | null): OutboxMessage {
  return {
    topic: DeliveryCreated.topic,
    envelope: createEnvelope(DeliveryCreated, { deliveryId: row.id, orderId: row.order_id, address: row.address }, contextOf(row, causationId)),
  };
}

export function updatedEvent(row: DeliveryRow, causationId: string | null): OutboxMessage {
  return {
    topic: DeliveryUpdated.topic,
    envelope: createEnvelope(DeliveryUpdated, {
      deliveryId: row.id, orderId: row.order_id, status: row.status, courierId: row.courier_id,
    }, contextOf(row, causationId)),
  };
}
