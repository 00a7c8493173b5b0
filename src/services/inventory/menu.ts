import type { Kysely } from 'kysely';
import type { Money } from '../../contracts/money.ts';
import { inventoryDb } from './store/tables.ts';

/** One product of a menu with its opening stock. */
export interface MenuItem {
  id: string;
  restaurantId: string;
  name: string;
  unitPrice: Money;
  stock: number;
}

export const DEFAULT_RESTAURANT = { id: 'resto-1', name: 'Pasta Place' } as const;

/** The embedded mode's menu: what a first checkout can order (names and prices are what the checkout puts on the order). */
export const DEFAULT_MENU: readonly MenuItem[] = Object.freeze([
  { id: 'margherita', restaurantId: DEFAULT_RESTAURANT.id, name: 'Pizza Margherita', unitPrice: { amount: 1_200, currency: 'USD' }, stock: 50 },
  { id: 'carbonara', restaurantId: DEFAULT_RESTAURANT.id, name: 'Spaghetti Carbonara', unitPrice: { amount: 1_450, currency: 'USD' }, stock: 30 },
  { id: 'tiramisu', restaurantId: DEFAULT_RESTAURANT.id, name: 'Tiramisu', unitPrice: { amount: 650, currency: 'USD' }, stock: 20 },
  { id: 'espresso', restaurantId: DEFAULT_RESTAURANT.id, name: 'Espresso', unitPrice: { amount: 300, currency: 'USD' }, stock: 100 },
]);

/**
 * Puts a menu in the inventory schema, idempotently: a product's name, price
 * and restaurant are brought to the menu's (and it is made active), but its
 * stock is set only when the product is new — seeding again at a restart never
 * wipes what was reserved or sold. Returns the ids of products that were new.
 */
export async function seedMenu(target: { db: Kysely<unknown>; schema: string }, menu: readonly MenuItem[] = DEFAULT_MENU): Promise<string[]> {
  if (menu.length === 0) return [];
  const ids = new Set(menu.map((item) => item.id));
  if (ids.size !== menu.length) throw new Error('a menu names each product id once');
  return target.db.transaction().execute(async (trx) => {
    const db = inventoryDb(trx, target.schema);
    const now = new Date();
    await db.insertInto('products').values(menu.map((item) => ({
      id: item.id, restaurant_id: item.restaurantId, name: item.name, unit_price: item.unitPrice.amount, currency: item.unitPrice.currency, active: true, updated_at: now,
    }))).onConflict((conflict) => conflict.column('id').doUpdateSet((eb) => ({
      restaurant_id: eb.ref('excluded.restaurant_id'), name: eb.ref('excluded.name'), unit_price: eb.ref('excluded.unit_price'),
      currency: eb.ref('excluded.currency'), active: true, updated_at: now,
    }))).execute();
    const created = await db.insertInto('stock').values(menu.map((item) => ({
      product_id: item.id, on_hand: item.stock, reserved: 0, stocked: item.stock, version: 0, updated_at: now,
    }))).onConflict((conflict) => conflict.column('product_id').doNothing()).returning('product_id').execute();
    return created.map((row) => row.product_id);
  });
}
