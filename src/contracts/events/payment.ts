import Type from 'typebox';
import { defineEvent } from '../define-event.ts';
import { CustomerIdSchema, NullableString, OrderIdSchema, PaymentIdSchema } from '../ids.ts';
import { MoneySchema } from '../money.ts';

const Strict = { additionalProperties: false } as const;
const PaymentRef = { paymentId: PaymentIdSchema, orderId: OrderIdSchema };
const StripeIntentId = NullableString('Stripe PaymentIntent id (pi_…); null before the gateway answered');

export const PaymentInitiated = defineEvent({
  topic: 'payment.initiated', type: 'PaymentInitiated', version: 1, producer: 'payment',
  description: 'A payment was created for an order and its gateway intent requested.',
  payload: Type.Object({ ...PaymentRef, customerId: CustomerIdSchema, amount: MoneySchema, stripePaymentIntentId: StripeIntentId }, Strict),
});

export const PaymentProcessing = defineEvent({
  topic: 'payment.processing', type: 'PaymentProcessing', version: 1, producer: 'payment',
  description: 'The payment was submitted to the gateway and awaits its outcome.',
  payload: Type.Object({ ...PaymentRef, stripePaymentIntentId: Type.String() }, Strict),
});

export const PaymentCompleted = defineEvent({
  topic: 'payment.completed', type: 'PaymentCompleted', version: 1, producer: 'payment',
  description: 'The gateway captured the money.',
  payload: Type.Object({
    ...PaymentRef, amount: MoneySchema, stripePaymentIntentId: Type.String(),
    stripeChargeId: NullableString('Stripe charge id (ch_…)'), receiptUrl: NullableString('Customer receipt URL'),
  }, Strict),
});

export const PaymentFailed = defineEvent({
  topic: 'payment.failed', type: 'PaymentFailed', version: 1, producer: 'payment',
  description: 'The gateway refused the payment, or it could not be taken.',
  payload: Type.Object({
    ...PaymentRef, stripePaymentIntentId: StripeIntentId,
    failureCode: Type.String({ description: 'Stripe error code, e.g. card_declined, or a paysaga code' }),
    declineCode: NullableString('Stripe decline code, e.g. insufficient_funds'),
    failureReason: Type.String({ description: 'Human-readable reason' }),
  }, Strict),
});

export const PaymentCancelled = defineEvent({
  topic: 'payment.cancelled', type: 'PaymentCancelled', version: 1, producer: 'payment',
  description: 'The payment was cancelled before any money was captured.',
  payload: Type.Object({ ...PaymentRef, stripePaymentIntentId: StripeIntentId, cancelReason: Type.String() }, Strict),
});

export const PaymentRefundInitiated = defineEvent({
  topic: 'payment.refund-initiated', type: 'PaymentRefundInitiated', version: 1, producer: 'order', alsoProducedBy: ['payment'],
  description: 'A refund of a captured payment was requested: by the order side (the payment service consumes it and refunds), or through the payment API (published by the payment service as it starts the refund).',
  payload: Type.Object({
    ...PaymentRef,
    refundRequestId: Type.String({ minLength: 1, description: 'Idempotency handle of this refund request' }),
    amount: Type.Union([MoneySchema, Type.Null()], { description: 'Amount to refund; null refunds everything not yet refunded' }),
    reason: Type.String(),
  }, Strict),
});

export const PaymentRefunded = defineEvent({
  topic: 'payment.refunded', type: 'PaymentRefunded', version: 1, producer: 'payment',
  description: 'The gateway refunded (part of) a captured payment.',
  payload: Type.Object({
    ...PaymentRef, refundId: Type.String(), refundRequestId: Type.String(), stripeRefundId: Type.String(),
    amount: MoneySchema, totalRefunded: MoneySchema, fullyRefunded: Type.Boolean(),
  }, Strict),
});

export const PaymentRefundFailed = defineEvent({
  topic: 'payment.refund-failed', type: 'PaymentRefundFailed', version: 1, producer: 'payment',
  description: 'The gateway refused a refund (or it failed): nothing was refunded by it; a saga waiting for it fails instead of waiting for payment.refunded.',
  payload: Type.Object({
    ...PaymentRef, refundId: Type.String(), refundRequestId: Type.String(), amount: MoneySchema,
    failureReason: Type.String({ description: 'Why the gateway refused it' }),
  }, Strict),
});

export const PaymentWebhookReceived = defineEvent({
  topic: 'payment.webhook-received', type: 'PaymentWebhookReceived', version: 1, producer: 'payment',
  description: 'A verified Stripe webhook was received (once per Stripe event id).',
  payload: Type.Object({
    ...PaymentRef, stripeEventId: Type.String(), stripeEventType: Type.String(), stripePaymentIntentId: StripeIntentId,
  }, Strict),
});

export const SagaPaymentCompensate = defineEvent({
  topic: 'saga.payment.compensate', type: 'SagaPaymentCompensate', version: 1, producer: 'saga',
  description: 'Undo the payment step of a saga: cancel the intent, or refund if already captured.',
  payload: Type.Object({
    ...PaymentRef, sagaId: Type.String(), commandId: Type.String({ minLength: 1 }), step: Type.String({ minLength: 1 }),
    action: Type.Union([Type.Literal('cancel'), Type.Literal('refund')], { description: 'cancel an unpaid intent; refund if money was captured (the payment service decides from its state when cancel is no longer possible)' }),
    reason: Type.String(),
  }, Strict),
});
