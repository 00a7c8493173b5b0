import Type, { type Static } from 'typebox';
import { CustomerIdSchema, OrderIdSchema, ProductIdSchema } from '../../../contracts/ids.ts';
import { CurrencySchema, MAX_MINOR_UNITS } from '../../../contracts/money.ts';
import { SAGA_STATUSES } from '../../../platform/saga/saga-tables.ts';

const Strict = { additionalProperties: false } as const;
const Price = Type.Object({ amount: Type.Integer({ minimum: 1, maximum: MAX_MINOR_UNITS }), currency: CurrencySchema }, Strict);

export const CheckoutBody = Type.Object({
  restaurantId: Type.String({ minLength: 1, maxLength: 64 }),
  items: Type.Array(Type.Object({
    productId: ProductIdSchema,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
    unitPrice: Price,
  }, Strict), { minItems: 1, maxItems: 50 }),
  deliveryAddress: Type.String({ minLength: 1, maxLength: 500 }),
  /** How long the customer has to pay before the checkout is cancelled (default: the service's payment deadline). */
  paymentWindowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  /** Only an admin checks out on someone's behalf; a customer's id comes from the token. */
  customerId: Type.Optional(CustomerIdSchema),
}, Strict);
export type CheckoutBody = Static<typeof CheckoutBody>;

export const SagaParams = Type.Object({ sagaId: Type.String({ minLength: 1, maxLength: 128 }) }, Strict);
export type SagaParams = Static<typeof SagaParams>;

const Digits = (maxDigits: number): ReturnType<typeof Type.String> => Type.String({ pattern: `^[0-9]{1,${maxDigits}}$` });

/** An order's sagas (anyone party to it), or — for admins — the newest sagas matching filters. */
export const SagaListQuery = Type.Object({
  orderId: Type.Optional(OrderIdSchema),
  status: Type.Optional(Type.Enum([...SAGA_STATUSES])),
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  customerId: Type.Optional(CustomerIdSchema),
  olderThanSeconds: Type.Optional(Digits(7)),
  newerThanSeconds: Type.Optional(Digits(7)),
  stuck: Type.Optional(Type.Enum(['true', 'false'])),
  limit: Type.Optional(Digits(3)),
}, Strict);
export type SagaListQuery = Static<typeof SagaListQuery>;

export const OrderParams = Type.Object({ orderId: OrderIdSchema }, Strict);
export type OrderParams = Static<typeof OrderParams>;

export const PartialRefundBody = Type.Object({ amount: Price, reason: Type.String({ minLength: 1, maxLength: 500 }) }, Strict);
export type PartialRefundBody = Static<typeof PartialRefundBody>;
