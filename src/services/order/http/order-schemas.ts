import Type, { type Static } from 'typebox';
import { OrderStatusSchema } from '../../../contracts/events/order.ts';
import { OrderIdSchema } from '../../../contracts/ids.ts';

const Strict = { additionalProperties: false } as const;
const Reason = Type.String({ minLength: 1, maxLength: 500 });

export const OrderParams = Type.Object({ orderId: OrderIdSchema }, Strict);
export type OrderParams = Static<typeof OrderParams>;

export const OrderListQuery = Type.Object({
  status: Type.Optional(OrderStatusSchema),
  // Query values arrive as strings and the server never coerces: a digit string.
  limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'At most this many orders, newest first (default 50; above 500 reads as 500)' })),
}, Strict);
export type OrderListQuery = Static<typeof OrderListQuery>;

export const KitchenStatusBody = Type.Object({
  status: Type.Enum(['PREPARING', 'READY_FOR_PICKUP'], { description: 'The kitchen step the restaurant reached' }),
  reason: Type.Optional(Reason),
}, Strict);
export type KitchenStatusBody = Static<typeof KitchenStatusBody>;

export const CancelOrderBody = Type.Object({ reason: Reason }, Strict);
export type CancelOrderBody = Static<typeof CancelOrderBody>;
