import Type, { type Static } from 'typebox';
import { OrderIdSchema } from '../../../contracts/ids.ts';

const Strict = { additionalProperties: false } as const;

export const NotificationListQuery = Type.Object({ orderId: OrderIdSchema }, Strict);
export type NotificationListQuery = Static<typeof NotificationListQuery>;
