import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Money } from '../../../contracts/money.ts';
import { ApiError, notFound } from '../../../platform/http/api-error.ts';
import { setOnHand } from '../domain/availability.ts';
import { inventoryDb } from '../store/tables.ts';
import { lockStock, writeStock } from './inventory-repository.ts';
import { productViewOf, type ProductView, type StockAudit } from './product-view.ts';

/** A product to put on the menu, with its opening stock. */
export interface NewProduct {
  id?: string;
  restaurantId: string;
  name: string;
  unitPrice: Money;
  stock: number;
  active?: boolean;
}

const newProductId = (): string => `prod_${randomBytes(9).toString('hex')}`;

/** The menu and its stock: listing, one product, adding products, an admin's stock count, and the stock audit. */
export class ProductCatalogue {
  readonly #db: Kysely<unknown>;
  readonly #schema: string;

  constructor(db: Kysely<unknown>, schema: string) {
    this.#db = db;
    this.#schema = schema;
  }

  #withStock(db: Kysely<unknown>) {
    return inventoryDb(db, this.#schema).selectFrom('products').innerJoin('stock', 'stock.product_id', 'products.id').select([
      'products.id', 'products.restaurant_id', 'products.name', 'products.unit_price', 'products.currency', 'products.active',
      'stock.on_hand', 'stock.reserved', 'stock.updated_at',
    ]);
  }

  async list(filter: { restaurantId?: string | undefined } = {}): Promise<ProductView[]> {
    let query = this.#withStock(this.#db).orderBy('products.restaurant_id').orderBy('products.id');
    if (filter.restaurantId !== undefined) query = query.where('products.restaurant_id', '=', filter.restaurantId);
    return (await query.execute()).map(productViewOf);
  }

  async view(productId: string, db: Kysely<unknown> = this.#db): Promise<ProductView> {
    const row = await this.#withStock(db).where('products.id', '=', productId).executeTakeFirst();
    if (!row) throw notFound('product', productId);
    return productViewOf(row);
  }

  /** Adds a product and its stock; an id already taken is a conflict (nothing is overwritten). */
  async create(input: NewProduct): Promise<ProductView> {
    const id = input.id ?? newProductId();
    return this.#db.transaction().execute(async (trx) => {
      const db = inventoryDb(trx, this.#schema);
      const inserted = await db.insertInto('products').values({
        id, restaurant_id: input.restaurantId, name: input.name, unit_price: input.unitPrice.amount, currency: input.unitPrice.currency,
        active: input.active ?? true, updated_at: new Date(),
      }).onConflict((conflict) => conflict.column('id').doNothing()).returning('id').executeTakeFirst();
      if (!inserted) throw new ApiError(409, 'product_exists', `product ${id} already exists; change its stock with POST /products/${id}/stock`, { id });
      await db.insertInto('stock').values({ product_id: id, on_hand: input.stock, reserved: 0, stocked: input.stock, version: 0, updated_at: new Date() }).execute();
      return this.view(id, trx);
    });
  }

  /** Sets the shelf count absolutely (a stock take); it may not drop below what held reservations promised. */
  async setStock(productId: string, onHand: number): Promise<ProductView> {
    return this.#db.transaction().execute(async (trx) => {
      const level = (await lockStock(trx, this.#schema, [productId])).get(productId);
      if (!level) throw notFound('product', productId);
      const result = setOnHand(level, onHand);
      if (!result.ok) throw new ApiError(409, 'stock_below_reserved', result.reason, { productId, reserved: level.reserved, requestedOnHand: onHand });
      await writeStock(trx, this.#schema, productId, result.level, onHand - level.onHand);
      return this.view(productId, trx);
    });
  }

  /** One product's books in one snapshot (see StockAudit); null for an unknown product. */
  async audit(productId: string): Promise<StockAudit | null> {
    const s = sql.id(this.#schema);
    const result = await sql<{ on_hand: number; reserved: number; stocked: number; held: number; sold: number }>`
      select st.on_hand, st.reserved, st.stocked,
        coalesce((select sum(l.quantity) from ${s}.reservation_lines l join ${s}.reservations r on r.order_id = l.order_id
          where l.product_id = st.product_id and r.status = 'held'), 0)::integer as held,
        coalesce((select sum(l.quantity) from ${s}.reservation_lines l join ${s}.reservations r on r.order_id = l.order_id
          where l.product_id = st.product_id and r.status = 'committed'), 0)::integer as sold
      from ${s}.stock st where st.product_id = ${productId}`.execute(this.#db);
    const row = result.rows[0];
    if (!row) return null;
    return {
      productId, onHand: row.on_hand, reserved: row.reserved, available: row.on_hand - row.reserved, held: row.held, sold: row.sold, stocked: row.stocked,
      conserved: row.on_hand + row.sold === row.stocked && row.reserved === row.held,
    };
  }
}
