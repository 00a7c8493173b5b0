import Type from 'typebox';
import { defineEvent } from '../define-event.ts';
import { CustomerIdSchema, NullableString, OrderIdSchema, ProductIdSchema } from '../ids.ts';
import { MoneySchema } from '../money.ts';

const Strict = { additionalProperties: false } as const;

export const ORDER_STATUSES = [
  'PAYMENT_PENDING', 'PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED',
  'PAYMENT_FAILED', 'CANCELLING', 'CANCELLED', 'REFUNDED',
] as const;
export const OrderStatusSchema = Type.Enum([...ORDER_STATUSES]);

export const OrderItemSchema = Type.Object({
  productId: ProductIdSchema,
  name: Type.String({ minLength: 1 }),
  quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
  unitPrice: MoneySchema,
}, Strict);

export const OrderCreated = defineEvent({
  topic: 'order.created', type: 'OrderCreated', version: 1, producer: 'order',
  description: 'An order was paid for and entered the kitchen queue (status PENDING).',
  payload: Type.Object({
    orderId: OrderIdSchema, customerId: CustomerIdSchema, restaurantId: Type.String({ minLength: 1 }),
    items: Type.Array(OrderItemSchema, { minItems: 1 }), total: MoneySchema,
  }, Strict),
});

export const OrderUpdated = defineEvent({
  topic: 'order.updated', type: 'OrderUpdated', version: 1, producer: 'order',
  description: 'The order changed status.',
  payload: Type.Object({
    orderId: OrderIdSchema, status: OrderStatusSchema, previousStatus: OrderStatusSchema,
    reason: NullableString('Why, when the change was not the happy path'),
  }, Strict),
});

export const OrderConfirmed = defineEvent({
  topic: 'order.confirmed', type: 'OrderConfirmed', version: 1, producer: 'order',
  description: 'The order is paid, its stock committed, and the restaurant confirmed it.',
  payload: Type.Object({
    orderId: OrderIdSchema, customerId: CustomerIdSchema, paymentId: Type.String(), total: MoneySchema,
    deliveryAddress: Type.String(),
  }, Strict),
});

export const OrderCancelled = defineEvent({
  topic: 'order.cancelled', type: 'OrderCancelled', version: 1, producer: 'order',
  description: 'The order was cancelled; stock and money are being given back.',
  payload: Type.Object({ orderId: OrderIdSchema, previousStatus: OrderStatusSchema, reason: Type.String() }, Strict),
});
