import { SagaPaymentCompensate } from '../../../contracts/events/payment.ts';
import { CreatePayment, RefundPayment } from '../../../contracts/events/saga.ts';
import { ApiError } from '../../../platform/http/api-error.ts';
import type { MessageConsumer } from '../../../platform/messaging/message-consumer.ts';
import { handleCommand, type CommandOutcome } from '../../../platform/saga/participant.ts';
import type { PaymentApplication } from './payment-application.ts';
import { refundableAmount } from '../domain/payment-machine.ts';
import { findPayment, stateOf } from './payment-repository.ts';

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
    // The client secret stays here (GET /payments/:id, for the paying customer only): never on Kafka, never in saga data.
    return { ok: true, result: { paymentId: created.payment.id } };
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
    let refund;
    try {
      refund = await app.requestRefundIn(context.trx, payload.paymentId, { refundRequestId: payload.refundRequestId, amount: payload.amount, reason: payload.reason }, context.publish, {
        correlationId: envelope.correlationId, causationId: envelope.eventId,
      });
    } catch (error) {
      if (!(error instanceof ApiError) || error.statusCode >= 500) throw error;
      // "Everything that remains" when nothing does and nothing is in flight: the money is already back; say how much.
      const payment = await findPayment(context.trx, schema, payload.paymentId);
      if (payload.amount === null && payment && payment.refund_pending === 0 && payment.amount_refunded > 0 && refundableAmount(stateOf(payment)) === 0) {
        return { ok: true, result: { refundRequested: false, alreadyRefunded: payment.amount_refunded, currency: payment.currency } };
      }
      // A given amount above what remains (refunded around the saga meanwhile), another currency, an unpaid payment: refused, nothing refunded.
      return { ok: false, reason: `${error.code}: ${error.message}`, result: { code: error.code } };
    }
    // A resend of a request the gateway already refused: the refusal stands (its payment.refund-failed was published then).
    if (refund.status === 'failed') return { ok: false, reason: `refund_failed: ${refund.failure_reason ?? 'refused by the gateway'}`, result: { code: 'refund_failed', refundId: refund.id } };
    if (refund.status === 'pending') context.afterCommit(() => { app.startRefund(refund.id); });
    return { ok: true, result: { refundRequested: true, refundId: refund.id, refundStatus: refund.status } };
  });
}
