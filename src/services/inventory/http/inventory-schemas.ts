import Type, { type Static } from 'typebox';
import { CurrencySchema, MAX_MINOR_UNITS } from '../../../contracts/money.ts';

const Strict = { additionalProperties: false } as const;

/** Ids a client may choose: they appear in URLs, so letters, digits, `_` and `-` only. */
const ProductId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
const Units = Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'A count of units' });

export const ProductParams = Type.Object({ productId: ProductId }, Strict);
export type ProductParams = Static<typeof ProductParams>;

export const ProductListQuery = Type.Object({ restaurantId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, Strict);
export type ProductListQuery = Static<typeof ProductListQuery>;

export const CreateProductBody = Type.Object({
  id: Type.Optional(ProductId),
  restaurantId: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  unitPrice: Type.Object({
    amount: Type.Integer({ minimum: 1, maximum: MAX_MINOR_UNITS, description: 'Minor units (cents for USD); a positive integer, never a float' }),
    currency: CurrencySchema,
  }, Strict),
  stock: Units,
  active: Type.Optional(Type.Boolean({ description: 'Whether it can be ordered (default true)' })),
}, Strict);
export type CreateProductBody = Static<typeof CreateProductBody>;

export const SetStockBody = Type.Object({ onHand: Units }, Strict);
export type SetStockBody = Static<typeof SetStockBody>;
