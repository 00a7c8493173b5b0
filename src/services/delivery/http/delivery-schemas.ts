import Type, { type Static } from 'typebox';
import { OrderIdSchema } from '../../../contracts/ids.ts';

const Strict = { additionalProperties: false } as const;

export const DeliveryParams = Type.Object({ deliveryId: Type.String({ minLength: 1, maxLength: 64 }) }, Strict);
export type DeliveryParams = Static<typeof DeliveryParams>;

export const DeliveryListQuery = Type.Object({ orderId: OrderIdSchema }, Strict);
export type DeliveryListQuery = Static<typeof DeliveryListQuery>;

export const StatusUpdateBody = Type.Object({
  status: Type.Enum(['COURIER_ASSIGNED', 'PICKED_UP', 'DELIVERED'], { description: 'The status the delivery moves to (cancellation belongs to the refund saga)' }),
  courierId: Type.Optional(Type.String({
    minLength: 1, maxLength: 64, description: 'A courier may only give their own id (the default); an admin names the courier',
  })),
}, Strict);
export type StatusUpdateBody = Static<typeof StatusUpdateBody>;
