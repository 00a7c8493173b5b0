import { CommitStock, ReleaseStock, ReserveStock } from '../../../contracts/events/saga.ts';
import type { MessageConsumer } from '../../../platform/messaging/message-consumer.ts';
import { handleCommand } from '../../../platform/saga/participant.ts';
import type { StockReservations } from './stock-reservations.ts';

/** Answers the orchestrator's stock commands on saga.replies, in the same transaction as their effects. */
export function handleSagaCommands(consumer: MessageConsumer, reservations: StockReservations): void {
  handleCommand(consumer, 'inventory', ReserveStock, (payload, context, envelope) =>
    reservations.reserve(context, { orderId: payload.orderId, restaurantId: payload.restaurantId, items: payload.items }, envelope));
  handleCommand(consumer, 'inventory', CommitStock, (payload, context, envelope) =>
    reservations.commit(context, { orderId: payload.orderId }, envelope));
  handleCommand(consumer, 'inventory', ReleaseStock, (payload, context, envelope) =>
    reservations.release(context, { orderId: payload.orderId, reason: payload.reason }, envelope));
}
