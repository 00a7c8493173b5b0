import Type from 'typebox';
import { defineEvent } from '../define-event.ts';
import { NullableString, OrderIdSchema } from '../ids.ts';

const Strict = { additionalProperties: false } as const;

export const DELIVERY_STATUSES = ['CREATED', 'COURIER_ASSIGNED', 'PICKED_UP', 'DELIVERED', 'CANCELLED'] as const;
export const DeliveryStatusSchema = Type.Enum([...DELIVERY_STATUSES]);

export const DeliveryCreated = defineEvent({
  topic: 'delivery.created', type: 'DeliveryCreated', version: 1, producer: 'delivery',
  description: 'A delivery was created for a confirmed order.',
  payload: Type.Object({ deliveryId: Type.String(), orderId: OrderIdSchema, address: Type.String() }, Strict),
});

export const DeliveryUpdated = defineEvent({
  topic: 'delivery.updated', type: 'DeliveryUpdated', version: 1, producer: 'delivery',
  description: 'The courier moved the delivery on.',
  payload: Type.Object({
    deliveryId: Type.String(), orderId: OrderIdSchema, status: DeliveryStatusSchema,
    courierId: NullableString('Courier handling the delivery'),
  }, Strict),
});
