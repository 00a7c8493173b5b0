import { createHash } from 'node:crypto';
import Type, { type TNull, type TString, type TUnion } from 'typebox';

export const OrderIdSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Order id; the partition key of every message about the order' });
export const PaymentIdSchema = Type.String({ minLength: 1, maxLength: 64, description: 'paysaga payment id' });
export const CustomerIdSchema = Type.String({ minLength: 1, maxLength: 64 });
export const ProductIdSchema = Type.String({ minLength: 1, maxLength: 64 });
export const NullableString = (description: string): TUnion<[TString, TNull]> => Type.Union([Type.String(), Type.Null()], { description });

/**
 * The payment of an order's checkout has an id derived from the order id: the
 * payment service names it so (one payment per order, the same on a redelivery)
 * and the checkout can tell the customer where to read it before it exists.
 */
export function checkoutPaymentIdOf(orderId: string): string {
  return `pay_${createHash('sha256').update(`order:${orderId}`).digest('hex').slice(0, 24)}`;
}
