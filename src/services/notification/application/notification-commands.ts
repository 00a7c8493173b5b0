import { SendNotification } from '../../../contracts/events/saga.ts';
import type { MessageConsumer } from '../../../platform/messaging/message-consumer.ts';
import { handleCommand } from '../../../platform/saga/participant.ts';
import type { NotificationDispatcher } from './notification-dispatcher.ts';
import { recordNotification } from './notification-repository.ts';

/**
 * SendNotification: recording the notification is the commitment, so the
 * reply is ok as soon as it is recorded (in the handler's transaction, once per
 * (order, kind, saga): a repeat records nothing and answers the same). The send
 * itself happens after the commit, and the dispatcher retries it.
 */
export function handleNotificationCommands(consumer: MessageConsumer, options: { schema: string; dispatcher: NotificationDispatcher }): void {
  const { schema, dispatcher } = options;
  handleCommand(consumer, 'notification', SendNotification, async (payload, context, envelope) => {
    const { id, recorded } = await recordNotification(context.trx, schema, {
      orderId: payload.orderId, customerId: payload.customerId, kind: payload.kind, message: payload.message,
      channel: dispatcher.channel.name, correlationId: envelope.correlationId,
    });
    if (recorded) context.afterCommit(() => { dispatcher.trigger(id); });
    return { ok: true, result: { notificationId: id } };
  });
}
