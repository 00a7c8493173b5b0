import Type, { type TNull, type TString, type TUnion } from 'typebox';

export const OrderIdSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Order id; the partition key of every message about the order' });
export const PaymentIdSchema = Type.String({ minLength: 1, maxLength: 64, description: 'paysaga payment id' });
export const CustomerIdSchema = Type.String({ minLength: 1, maxLength: 64 });
export const ProductIdSchema = Type.String({ minLength: 1, maxLength: 64 });
export const NullableString = (description: string): TUnion<[TString, TNull]> => Type.Union([Type.String(), Type.Null()], { description });
