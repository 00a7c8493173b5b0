import { sql, type Kysely, type Selectable } from 'kysely';
import type { ProductStock, StockLevel, StockLine } from '../domain/availability.ts';
import type { ReservationState } from '../domain/reservation-machine.ts';
import { inventoryDb, type ReservationsTable } from '../store/tables.ts';

export type ReservationRow = Selectable<ReservationsTable>;

/**
 * Serialises every command about one order for the rest of the transaction,
 * including the first ReserveStock when no row exists yet to lock (two
 * instances briefly sharing a partition during a rebalance must not both decide).
 */
export async function lockOrder(trx: Kysely<unknown>, schema: string, orderId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`paysaga.inventory.${schema}.${orderId}`}))`.execute(trx);
}

export function findReservation(db: Kysely<unknown>, schema: string, orderId: string): Promise<ReservationRow | undefined> {
  return inventoryDb(db, schema).selectFrom('reservations').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

export function stateOf(row: ReservationRow | undefined): ReservationState {
  return row ? { status: row.status, wasCommitted: row.committed_at !== null } : { status: 'none', wasCommitted: false };
}

export function linesOf(db: Kysely<unknown>, schema: string, orderId: string): Promise<StockLine[]> {
  return inventoryDb(db, schema).selectFrom('reservation_lines').select(['product_id as productId', 'quantity'])
    .where('order_id', '=', orderId).orderBy('product_id').execute();
}

export async function findRefusal(db: Kysely<unknown>, schema: string, orderId: string): Promise<string | undefined> {
  const row = await inventoryDb(db, schema).selectFrom('reservation_refusals').select('reason').where('order_id', '=', orderId).executeTakeFirst();
  return row?.reason;
}

export async function recordRefusal(trx: Kysely<unknown>, schema: string, orderId: string, reason: string): Promise<void> {
  await inventoryDb(trx, schema).insertInto('reservation_refusals').values({ order_id: orderId, reason })
    .onConflict((conflict) => conflict.column('order_id').doNothing()).execute();
}

/**
 * Reads and locks the stock rows of these products, in product-id order (the
 * same order for every transaction, so two orders sharing products never
 * deadlock). A product without a row is absent from the map.
 */
export async function lockStock(trx: Kysely<unknown>, schema: string, productIds: readonly string[]): Promise<Map<string, ProductStock>> {
  if (productIds.length === 0) return new Map();
  const rows = await inventoryDb(trx, schema).selectFrom('stock')
    .innerJoin('products', 'products.id', 'stock.product_id')
    .select(['stock.product_id as productId', 'stock.on_hand as onHand', 'stock.reserved as reserved', 'products.active as active', 'products.unit_price as unitPriceAmount', 'products.currency as currency', 'products.restaurant_id as restaurantId'])
    .where('stock.product_id', 'in', [...productIds])
    .orderBy('stock.product_id')
    .forUpdate('stock')
    .execute();
  return new Map(rows.map(({ unitPriceAmount, currency, ...row }) => [row.productId, { ...row, unitPrice: { amount: unitPriceAmount, currency } }]));
}

/** Writes a locked stock row's new counters (the table's checks stand behind the pure arithmetic). */
export async function writeStock(trx: Kysely<unknown>, schema: string, productId: string, level: StockLevel, stockedChange = 0): Promise<void> {
  const result = await inventoryDb(trx, schema).updateTable('stock')
    .set((eb) => ({
      on_hand: level.onHand, reserved: level.reserved, stocked: eb('stocked', '+', stockedChange), version: eb('version', '+', 1), updated_at: new Date(),
    }))
    .where('product_id', '=', productId).executeTakeFirst();
  if (result.numUpdatedRows !== 1n) throw new Error(`stock of ${productId} vanished under a lock`);
}

export async function insertReservation(
  trx: Kysely<unknown>, schema: string, orderId: string, correlationId: string, lines: readonly StockLine[],
): Promise<ReservationRow> {
  const db = inventoryDb(trx, schema);
  const row = await db.insertInto('reservations').values({
    order_id: orderId, status: 'held', reason: null, correlation_id: correlationId, committed_at: null, released_at: null, version: 0, updated_at: new Date(),
  }).returningAll().executeTakeFirstOrThrow();
  await db.insertInto('reservation_lines').values(lines.map((line) => ({ order_id: orderId, product_id: line.productId, quantity: line.quantity }))).execute();
  return row;
}

export async function updateReservation(trx: Kysely<unknown>, schema: string, row: ReservationRow, state: ReservationState, reason: string | null): Promise<ReservationRow> {
  if (state.status === 'none') throw new Error('a reservation cannot go back to none');
  const now = new Date();
  const updated = await inventoryDb(trx, schema).updateTable('reservations')
    .set({
      status: state.status, version: row.version + 1, updated_at: now,
      ...(state.status === 'committed' ? { committed_at: now } : {}),
      ...(state.status === 'released' ? { released_at: now, reason } : {}),
    })
    .where('order_id', '=', row.order_id).where('version', '=', row.version).returningAll().executeTakeFirst();
  if (!updated) throw new Error(`reservation ${row.order_id} changed under its order lock (version ${row.version})`);
  return updated;
}
