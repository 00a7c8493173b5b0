import { CancelDelivery, CreateDelivery } from '../../../contracts/events/saga.ts';
import type { MessageConsumer } from '../../../platform/messaging/message-consumer.ts';
import { handleCommand } from '../../../platform/saga/participant.ts';
import type { DeliveryApplication } from './delivery-application.ts';

/** The saga commands the delivery service answers: create the delivery of a confirmed order, cancel it for a refund. */
export function handleDeliveryCommands(consumer: MessageConsumer, app: DeliveryApplication): void {
  handleCommand(consumer, 'delivery', CreateDelivery, (payload, context, envelope) =>
    app.create(context, { orderId: payload.orderId, customerId: payload.customerId, restaurantId: payload.restaurantId, address: payload.address }, envelope));
  handleCommand(consumer, 'delivery', CancelDelivery, (payload, context, envelope) =>
    app.cancel(context, { orderId: payload.orderId, reason: payload.reason }, envelope));
}
