import Type from 'typebox';
import { defineEvent } from '../define-event.ts';
import { CustomerIdSchema, NullableString, OrderIdSchema, PaymentIdSchema, ProductIdSchema } from '../ids.ts';
import { MoneySchema } from '../money.ts';
import { OrderItemSchema } from './order.ts';

/**
 * The orchestrator's commands and their replies. A command goes to its
 * service's command topic; the service does the work (idempotently: the
 * inbox and the business key make a repeat a no-op) and answers on
 * `saga.replies` in the same transaction, through its outbox.
 */
const Strict = { additionalProperties: false } as const;
const CommandRef = {
  sagaId: Type.String({ minLength: 1, description: 'The saga instance (also the correlationId of every message)' }),
  commandId: Type.String({ minLength: 1, description: 'Unique per command attempt of a step; the reply echoes it' }),
  step: Type.String({ minLength: 1, description: 'The saga step this command belongs to' }),
};
/** The restaurant the order is placed with: the inventory sells only its products; payment and delivery keep it so the restaurant may see them. */
const RestaurantId = Type.String({ minLength: 1, maxLength: 64, description: 'The restaurant of the order' });
const Line = Type.Object({
  productId: ProductIdSchema, quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
  /** The price the customer is charged; the inventory refuses a line whose price is not the menu's. */
  unitPrice: Type.Optional(MoneySchema),
}, Strict);

// ── order ──────────────────────────────────────────────────────────────────
export const CreateOrder = defineEvent({
  topic: 'order.commands', type: 'CreateOrder', version: 1, producer: 'saga',
  description: 'Create the order in PAYMENT_PENDING (checkout step 1). Compensation: CancelOrder.',
  payload: Type.Object({
    ...CommandRef, orderId: OrderIdSchema, customerId: CustomerIdSchema, restaurantId: Type.String({ minLength: 1 }),
    items: Type.Array(OrderItemSchema, { minItems: 1, maxItems: 50 }), total: MoneySchema, deliveryAddress: Type.String({ minLength: 1 }),
  }, Strict),
});

export const ConfirmOrder = defineEvent({
  topic: 'order.commands', type: 'ConfirmOrder', version: 1, producer: 'saga',
  description: 'The order is paid and its stock committed: PAYMENT_PENDING → PENDING → CONFIRMED (publishes order.created, order.confirmed).',
  payload: Type.Object({ ...CommandRef, orderId: OrderIdSchema, paymentId: PaymentIdSchema }, Strict),
});

export const CancelOrder = defineEvent({
  topic: 'order.commands', type: 'CancelOrder', version: 1, producer: 'saga',
  description: 'Compensation of checkout: the order ends PAYMENT_FAILED (the card was declined) or CANCELLED (any other failure).',
  payload: Type.Object({
    ...CommandRef, orderId: OrderIdSchema, outcome: Type.Enum(['PAYMENT_FAILED', 'CANCELLED']), reason: Type.String(),
  }, Strict),
});

export const FinishOrderCancellation = defineEvent({
  topic: 'order.commands', type: 'FinishOrderCancellation', version: 1, producer: 'saga',
  description: 'Refund saga, last step: a CANCELLING order becomes REFUNDED (money returned) or CANCELLED (nothing was paid).',
  payload: Type.Object({ ...CommandRef, orderId: OrderIdSchema, outcome: Type.Enum(['REFUNDED', 'CANCELLED']), reason: Type.String() }, Strict),
});

// ── inventory ──────────────────────────────────────────────────────────────
export const ReserveStock = defineEvent({
  topic: 'inventory.commands', type: 'ReserveStock', version: 1, producer: 'saga',
  description: 'Set stock aside for every line, all or nothing (checkout step 2); a product of another restaurant refuses the whole order. Compensation: ReleaseStock.',
  payload: Type.Object({ ...CommandRef, orderId: OrderIdSchema, restaurantId: RestaurantId, items: Type.Array(Line, { minItems: 1, maxItems: 50 }) }, Strict),
});

export const CommitStock = defineEvent({
  topic: 'inventory.commands', type: 'CommitStock', version: 1, producer: 'saga',
  description: 'The order is paid: its reservation becomes a sale (checkout step 5).',
  payload: Type.Object({ ...CommandRef, orderId: OrderIdSchema }, Strict),
});

export const ReleaseStock = defineEvent({
  topic: 'inventory.commands', type: 'ReleaseStock', version: 1, producer: 'saga',
  description: 'Give the order\'s stock back: a reservation is released, a committed sale is restocked. A no-op when nothing is held.',
  payload: Type.Object({ ...CommandRef, orderId: OrderIdSchema, reason: Type.String() }, Strict),
});

// ── payment ────────────────────────────────────────────────────────────────
export const CreatePayment = defineEvent({
  topic: 'payment.commands', type: 'CreatePayment', version: 1, producer: 'saga',
  description: 'Create the payment and its gateway intent (checkout step 3); the reply carries the paymentId (the client secret stays in the payment service: never on Kafka). Compensation: saga.payment.compensate.',
  payload: Type.Object({ ...CommandRef, orderId: OrderIdSchema, customerId: CustomerIdSchema, restaurantId: RestaurantId, amount: MoneySchema }, Strict),
});

export const RefundPayment = defineEvent({
  topic: 'payment.commands', type: 'RefundPayment', version: 1, producer: 'saga',
  description: 'Refund saga: refund (part of) a captured payment; the outcome arrives as payment.refunded.',
  payload: Type.Object({
    ...CommandRef, orderId: OrderIdSchema, paymentId: PaymentIdSchema, refundRequestId: Type.String({ minLength: 1 }),
    amount: Type.Union([MoneySchema, Type.Null()], { description: 'null refunds everything not yet refunded' }), reason: Type.String(),
  }, Strict),
});

// ── delivery and notification ──────────────────────────────────────────────
export const CreateDelivery = defineEvent({
  topic: 'delivery.commands', type: 'CreateDelivery', version: 1, producer: 'saga',
  description: 'Create the delivery of a confirmed order (checkout step 7); failure here refunds and cancels the order.',
  payload: Type.Object({ ...CommandRef, orderId: OrderIdSchema, customerId: CustomerIdSchema, restaurantId: RestaurantId, address: Type.String({ minLength: 1 }) }, Strict),
});

export const CancelDelivery = defineEvent({
  topic: 'delivery.commands', type: 'CancelDelivery', version: 1, producer: 'saga',
  description: 'Refund saga: cancel the order\'s delivery if it has not been picked up; the reply says whether anything had shipped.',
  payload: Type.Object({ ...CommandRef, orderId: OrderIdSchema, reason: Type.String() }, Strict),
});

export const NOTIFICATION_KINDS = ['order-confirmed', 'payment-failed', 'order-cancelled', 'order-refunded'] as const;

export const SendNotification = defineEvent({
  topic: 'notification.commands', type: 'SendNotification', version: 1, producer: 'saga',
  description: 'Tell the customer (confirmation, failure, cancellation, refund); sent once per (orderId, kind, saga): the correlationId is the saga id.',
  payload: Type.Object({
    ...CommandRef, orderId: OrderIdSchema, customerId: CustomerIdSchema, kind: Type.Enum([...NOTIFICATION_KINDS]), message: Type.String({ minLength: 1 }),
  }, Strict),
});

// ── replies ────────────────────────────────────────────────────────────────
export const SagaReply = defineEvent({
  topic: 'saga.replies', type: 'SagaReply', version: 1, producer: 'order', alsoProducedBy: ['inventory', 'payment', 'delivery', 'notification'],
  description: 'A service\'s answer to a saga command: done (with results such as paymentId) or refused (with the reason; the saga compensates).',
  payload: Type.Object({
    ...CommandRef,
    command: Type.String({ description: 'The command type answered' }),
    ok: Type.Boolean(),
    reason: NullableString('Why the command was refused'),
    result: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]), { description: 'Values the saga keeps (e.g. paymentId, deliveryId); never a secret' }),
  }, Strict),
});
