import { SagaPaymentCompensate } from '../../../contracts/events/payment.ts';
import { CreatePayment, RefundPayment } from '../../../contracts/events/saga.ts';
import { ApiError } from '../../../platform/http/api-error.ts';
import type { MessageConsumer } from '../../../platform/messaging/message-consumer.ts';
import { handleCommand, type CommandOutcome } from '../../../platform/saga/participant.ts';
import type { PaymentApplication } from './payment-application.ts';
import { findPayment } from './payment-repository.ts';

/**
 * The payment service's part in the sagas: create the payment (step 3), undo it
 * (cancel the intent, or refund once money was captured), and refund for the
 * refund sagas. Each answers on saga.replies in the consumer's transaction.
 */
export function handleSagaCommands(consumer: MessageConsumer, app: PaymentApplication, schema: string): void {
  handleCommand(consumer, 'payment', CreatePayment, async (payload, context, envelope): Promise<CommandOutcome> => {
    const created = await app.createForSaga(context.trx, context.publish, payload, {
      correlationId: envelope.correlationId, causationId: envelope.eventId, traceparent: envelope.traceparent,
    });
    if (!created.ok) return { ok: false, reason: created.reason, result: { paymentId: created.payment?.id ?? null } };
    return { ok: true, result: { paymentId: created.payment.id, clientSecret: created.payment.client_secret } };
  });

  handleCommand(consumer, 'payment', SagaPaymentCompensate, async (payload, context, envelope): Promise<CommandOutcome> => {
    const payment = await findPayment(context.trx, schema, payload.paymentId);
    if (!payment) return { ok: true, result: { compensated: false } };
    // Cancel while nothing was captured; once money moved (even if it moved just now), refund it.
    const cancelled = await app.cancelWithin(context.trx, context.publish, payment.id, payload.reason);
    if (cancelled !== 'captured') return { ok: true, result: { compensated: cancelled === 'cancelled', action: 'cancel' } };
    let refund;
    try {
      refund = await app.requestRefundIn(context.trx, payment.id, { refundRequestId: `compensate-${payload.sagaId}`, amount: null, reason: payload.reason }, context.publish, {
        correlationId: envelope.correlationId, causationId: envelope.eventId,
      });
    } catch (error) {
      // Already refunded in full: the compensation's work is done.
      if (error instanceof ApiError && error.statusCode < 500) return { ok: true, result: { compensated: false, reason: error.message } };
      throw error;
    }
    if (refund.status === 'pending') context.afterCommit(() => { app.startRefund(refund.id); });
    return { ok: true, result: { compensated: true, action: 'refund', refundId: refund.id } };
  });

  handleCommand(consumer, 'payment', RefundPayment, async (payload, context, envelope): Promise<CommandOutcome> => {
    try {
      const refund = await app.requestRefundIn(context.trx, payload.paymentId, { refundRequestId: payload.refundRequestId, amount: payload.amount, reason: payload.reason }, context.publish, {
        correlationId: envelope.correlationId, causationId: envelope.eventId,
      });
      if (refund.status === 'pending') context.afterCommit(() => { app.startRefund(refund.id); });
      return { ok: true, result: { refundRequested: true, refundId: refund.id, refundStatus: refund.status } };
    } catch (error) {
      if (error instanceof ApiError && error.statusCode < 500) {
        // Nothing left to refund is not a failure of the refund saga: the money is already back.
        if (error.code === 'illegal_transition' || error.code === 'refund_exceeds_remaining') return { ok: true, result: { refundRequested: false, reason: error.message } };
        return { ok: false, reason: `${error.code}: ${error.message}` };
      }
      throw error;
    }
  });
}
