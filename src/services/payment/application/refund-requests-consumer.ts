import { PaymentRefundInitiated } from '../../../contracts/events/payment.ts';
import { ApiError } from '../../../platform/http/api-error.ts';
import type { MessageConsumer } from '../../../platform/messaging/message-consumer.ts';
import type { PaymentApplication } from './payment-application.ts';

/** A refund request that can never be honoured: dead-lettered at once, with its reason, for an operator. */
class UnrefundableRequest extends Error {
  override name = 'UnrefundableRequest';
  readonly retriable = false;
}

/**
 * `payment.refund-initiated` from the order side (a cancelled order, an admin
 * refund): the refund is recorded with the event in one transaction, then the
 * gateway is asked once it committed (and by the reconciler if that fails).
 * The payment service's own refund-initiated events are its announcements, not requests.
 */
export function consumeRefundRequests(consumer: MessageConsumer, app: PaymentApplication): void {
  consumer.on(PaymentRefundInitiated, async (envelope, context) => {
    if (envelope.source === 'payment') return;
    const { paymentId, refundRequestId, amount, reason } = envelope.payload;
    try {
      const refund = await app.requestRefundIn(context.trx, paymentId, { refundRequestId, amount, reason }, null, {
        correlationId: envelope.correlationId, causationId: envelope.eventId,
      });
      context.afterCommit(() => { app.startRefund(refund.id); });
    } catch (error) {
      if (error instanceof ApiError && error.statusCode < 500) throw new UnrefundableRequest(`${error.code}: ${error.message}`);
      throw error;
    }
  });
}
