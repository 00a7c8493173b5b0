import { randomUUID } from 'node:crypto';
import { createEnvelope } from '../../src/contracts/codec.ts';
import type { Envelope } from '../../src/contracts/envelope.ts';
import { OrderUpdated } from '../../src/contracts/events/order.ts';

/** A valid OrderUpdated envelope for order `orderId`; `sequence` is carried in `reason` so tests can check order. */
export function orderUpdated(orderId: string, sequence = 0): Envelope {
  return createEnvelope(OrderUpdated, {
    orderId, status: 'CONFIRMED', previousStatus: 'PENDING', reason: String(sequence),
  }, { source: 'test', key: orderId, correlationId: randomUUID() });
}
