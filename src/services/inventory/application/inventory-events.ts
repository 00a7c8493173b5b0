import { causedBy, createEnvelope } from '../../../contracts/codec.ts';
import type { Envelope } from '../../../contracts/envelope.ts';
import { InventoryCommitted, InventoryReleased, InventoryReserved } from '../../../contracts/events/inventory.ts';
import type { OutboxMessage } from '../../../platform/outbox/outbox.ts';
import type { StockLine } from '../domain/availability.ts';
import type { InventoryEvent } from '../domain/reservation-machine.ts';

export interface EventFacts {
  orderId: string;
  lines: readonly StockLine[];
  /** Why a reservation was released. */
  reason: string;
}

/**
 * The event a reservation transition publishes, caused by the saga command
 * that moved it (same saga, same trace). The reservation id is the order id:
 * there is one reservation per order.
 */
export function reservationEvent(event: InventoryEvent, facts: EventFacts, cause: Envelope): OutboxMessage {
  const context = causedBy(cause, 'inventory');
  const ref = { orderId: facts.orderId, reservationId: facts.orderId };
  switch (event) {
    case 'inventory.reserved':
      return { topic: event, envelope: createEnvelope(InventoryReserved, { ...ref, items: facts.lines.map(({ productId, quantity }) => ({ productId, quantity })) }, context) };
    case 'inventory.committed':
      return { topic: event, envelope: createEnvelope(InventoryCommitted, ref, context) };
    case 'inventory.released':
      return { topic: event, envelope: createEnvelope(InventoryReleased, { ...ref, reason: facts.reason }, context) };
  }
}
