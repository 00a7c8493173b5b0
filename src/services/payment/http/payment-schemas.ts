import Type, { type Static } from 'typebox';
import { CustomerIdSchema, OrderIdSchema } from '../../../contracts/ids.ts';
import { CurrencySchema, MAX_MINOR_UNITS } from '../../../contracts/money.ts';
import { PAYMENT_STATUSES } from '../domain/payment-machine.ts';

const Strict = { additionalProperties: false } as const;

export const PositiveMoneySchema = Type.Object({
  amount: Type.Integer({ minimum: 1, maximum: MAX_MINOR_UNITS, description: 'Minor units (cents for USD); a positive integer' }),
  currency: CurrencySchema,
}, Strict);

export const CreatePaymentBody = Type.Object({
  orderId: OrderIdSchema,
  customerId: CustomerIdSchema,
  amount: PositiveMoneySchema,
  description: Type.Optional(Type.String({ maxLength: 500 })),
}, Strict);
export type CreatePaymentBody = Static<typeof CreatePaymentBody>;

export const ConfirmPaymentBody = Type.Object({
  paymentMethod: Type.String({ pattern: '^pm_[A-Za-z0-9_]+$', maxLength: 100, description: "A Stripe test payment method, e.g. pm_card_visa; never card data" }),
}, Strict);
export type ConfirmPaymentBody = Static<typeof ConfirmPaymentBody>;

export const CancelPaymentBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, Strict);
export type CancelPaymentBody = Static<typeof CancelPaymentBody>;

export const RefundBody = Type.Object({
  amount: Type.Optional(PositiveMoneySchema),
  reason: Type.String({ minLength: 1, maxLength: 500 }),
}, Strict);
export type RefundBody = Static<typeof RefundBody>;

export const PaymentParams = Type.Object({ paymentId: Type.String({ minLength: 1, maxLength: 64 }) }, Strict);
export type PaymentParams = Static<typeof PaymentParams>;

/** An order's payments (its parties), or — for admins — the newest payments, optionally of one status. */
export const PaymentListQuery = Type.Object({
  orderId: Type.Optional(OrderIdSchema),
  status: Type.Optional(Type.Enum([...PAYMENT_STATUSES])),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
}, Strict);
export type PaymentListQuery = Static<typeof PaymentListQuery>;

export const GatewayErrorsQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  paymentId: Type.Optional(Type.String({ maxLength: 64 })),
}, Strict);
export type GatewayErrorsQuery = Static<typeof GatewayErrorsQuery>;
