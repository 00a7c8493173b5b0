import { createEnvelope, type MessageContext } from '../../../contracts/codec.ts';
import {
  PaymentCancelled, PaymentCompleted, PaymentFailed, PaymentInitiated, PaymentProcessing, PaymentRefundFailed, PaymentRefundInitiated, PaymentRefunded, PaymentWebhookReceived,
} from '../../../contracts/events/payment.ts';
import type { OutboxMessage } from '../../../platform/outbox/outbox.ts';
import type { PaymentEffect } from '../domain/payment-machine.ts';
import type { PaymentRow, RefundRow } from './payment-view.ts';

/** Every event about a payment shares its saga's correlation id and trace; the key is the order id. */
function contextOf(row: PaymentRow, causationId: string | null): MessageContext {
  return { source: 'payment', key: row.order_id, correlationId: row.correlation_id, causationId: causationId ?? row.causation_id, traceparent: row.traceparent };
}

const message = (topic: string, envelope: OutboxMessage['envelope']): OutboxMessage => ({ topic, envelope });

export function initiatedEvent(row: PaymentRow, causationId: string | null = null): OutboxMessage {
  return message(PaymentInitiated.topic, createEnvelope(PaymentInitiated, {
    paymentId: row.id, orderId: row.order_id, customerId: row.customer_id,
    amount: { amount: row.amount, currency: row.currency }, stripePaymentIntentId: row.stripe_payment_intent_id,
  }, contextOf(row, causationId)));
}

export function webhookReceivedEvent(row: PaymentRow, stripeEventId: string, stripeEventType: string): OutboxMessage {
  return message(PaymentWebhookReceived.topic, createEnvelope(PaymentWebhookReceived, {
    paymentId: row.id, orderId: row.order_id, stripeEventId, stripeEventType, stripePaymentIntentId: row.stripe_payment_intent_id,
  }, contextOf(row, null)));
}

/** The outbox messages for a transition's effects, filled from the payment as it is after the transition. */
export function effectEvents(row: PaymentRow, effects: readonly PaymentEffect[], refund: RefundRow | null, causationId: string | null): OutboxMessage[] {
  const context = contextOf(row, causationId ?? refund?.causation_id ?? null);
  const ref = { paymentId: row.id, orderId: row.order_id };
  return effects.map((effect) => {
    switch (effect.event) {
      case 'payment.processing':
        return message(effect.event, createEnvelope(PaymentProcessing, { ...ref, stripePaymentIntentId: row.stripe_payment_intent_id ?? '' }, context));
      case 'payment.completed':
        return message(effect.event, createEnvelope(PaymentCompleted, {
          ...ref, amount: { amount: row.amount, currency: row.currency }, stripePaymentIntentId: row.stripe_payment_intent_id ?? '',
          stripeChargeId: row.stripe_charge_id, receiptUrl: row.receipt_url,
        }, context));
      case 'payment.failed':
        return message(effect.event, createEnvelope(PaymentFailed, {
          ...ref, stripePaymentIntentId: row.stripe_payment_intent_id, failureCode: row.failure_code ?? 'payment_failed',
          declineCode: row.decline_code, failureReason: row.failure_reason ?? 'the payment failed',
        }, context));
      case 'payment.cancelled':
        return message(effect.event, createEnvelope(PaymentCancelled, {
          ...ref, stripePaymentIntentId: row.stripe_payment_intent_id, cancelReason: row.cancel_reason ?? 'cancelled',
        }, context));
      case 'payment.refund-initiated': {
        if (!refund) throw new Error('payment.refund-initiated needs its refund');
        return message(effect.event, createEnvelope(PaymentRefundInitiated, {
          ...ref, refundRequestId: refund.refund_request_id, amount: { amount: refund.amount, currency: refund.currency }, reason: refund.reason,
        }, context));
      }
      case 'payment.refund-failed': {
        if (!refund) throw new Error('payment.refund-failed needs its refund');
        return message(effect.event, createEnvelope(PaymentRefundFailed, {
          ...ref, refundId: refund.id, refundRequestId: refund.refund_request_id, amount: { amount: refund.amount, currency: refund.currency },
          failureReason: refund.failure_reason ?? 'refused by the gateway',
        }, context));
      }
      case 'payment.refunded': {
        if (!refund) throw new Error('payment.refunded needs its refund');
        return message(effect.event, createEnvelope(PaymentRefunded, {
          ...ref, refundId: refund.id, refundRequestId: refund.refund_request_id, stripeRefundId: refund.stripe_refund_id ?? '',
          amount: { amount: effect.amount, currency: row.currency }, totalRefunded: { amount: effect.totalRefunded, currency: row.currency },
          fullyRefunded: effect.fullyRefunded,
        }, context));
      }
    }
  });
}
