import Type from 'typebox';
import { defineEvent } from '../define-event.ts';
import { OrderIdSchema, ProductIdSchema } from '../ids.ts';

const Strict = { additionalProperties: false } as const;
const ReservedLine = Type.Object({ productId: ProductIdSchema, quantity: Type.Integer({ minimum: 1 }) }, Strict);

export const InventoryReserved = defineEvent({
  topic: 'inventory.reserved', type: 'InventoryReserved', version: 1, producer: 'inventory',
  description: 'Stock for every line of the order was set aside.',
  payload: Type.Object({ orderId: OrderIdSchema, reservationId: Type.String(), items: Type.Array(ReservedLine, { minItems: 1 }) }, Strict),
});

export const InventoryReleased = defineEvent({
  topic: 'inventory.released', type: 'InventoryReleased', version: 1, producer: 'inventory',
  description: 'A reservation was given back to stock (compensation, or restock after a refund).',
  payload: Type.Object({ orderId: OrderIdSchema, reservationId: Type.String(), reason: Type.String() }, Strict),
});

export const InventoryCommitted = defineEvent({
  topic: 'inventory.committed', type: 'InventoryCommitted', version: 1, producer: 'inventory',
  description: 'A reservation became a sale: the stock left the shelf for good.',
  payload: Type.Object({ orderId: OrderIdSchema, reservationId: Type.String() }, Strict),
});
