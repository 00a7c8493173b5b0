import type { Kysely, Updateable } from 'kysely';
import { childRowsAsJson, rowsFromJson } from '../../../platform/database/json-rows.ts';
import type { OrderStatus } from '../domain/order-machine.ts';
import { orderDb, type OrdersTable } from '../store/tables.ts';
import type { HistoryRow, OrderRow } from './order-view.ts';

export function findOrderRow(db: Kysely<unknown>, schema: string, orderId: string): Promise<OrderRow | undefined> {
  return orderDb(db, schema).selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
}

/** Reads and locks one order for the rest of the transaction: every change to an order is serialised on its row. */
export function lockOrder(trx: Kysely<unknown>, schema: string, orderId: string): Promise<OrderRow | undefined> {
  return orderDb(trx, schema).selectFrom('orders').selectAll().where('id', '=', orderId).forUpdate().executeTakeFirst();
}

/** An order and its audit trail (oldest first) in one statement: what `GET /orders/:id` shows. */
export async function findOrderWithHistory(db: Kysely<unknown>, schema: string, orderId: string): Promise<{ row: OrderRow; history: HistoryRow[] } | undefined> {
  const found = await orderDb(db, schema).selectFrom('orders').selectAll('orders')
    .select(childRowsAsJson(`${schema}.order_status_history`, 'order_id', 'orders.id', ['seq']).as('history'))
    .where('orders.id', '=', orderId).executeTakeFirst();
  if (!found) return undefined;
  const { history, ...row } = found;
  return { row, history: rowsFromJson<HistoryRow>(history, ['at']) };
}

export function historyOf(db: Kysely<unknown>, schema: string, orderId: string): Promise<HistoryRow[]> {
  return orderDb(db, schema).selectFrom('order_status_history').selectAll().where('order_id', '=', orderId).orderBy('seq').execute();
}

export async function listOrders(db: Kysely<unknown>, schema: string, filter: { customerId?: string; restaurantId?: string; status?: OrderStatus; limit: number }): Promise<OrderRow[]> {
  let query = orderDb(db, schema).selectFrom('orders').selectAll();
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
  if (filter.restaurantId !== undefined) query = query.where('restaurant_id', '=', filter.restaurantId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return query.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).execute();
}

/**
 * Moves a locked order to `status`, bumps its version and appends the change to
 * the audit trail (seq = the new version); returns the row as it now is.
 */
export async function recordStatusChange(
  trx: Kysely<unknown>, schema: string, row: OrderRow, status: OrderStatus, reason: string | null, changes: Updateable<OrdersTable> = {},
): Promise<OrderRow> {
  const version = row.version + 1;
  // The change and its history entry in one statement; if the update matched nothing, the caller's transaction
  // rolls back the entry with everything else (the error below).
  const updated = await orderDb(trx, schema)
    .with('history', (db) => db.insertInto('order_status_history').values({ order_id: row.id, seq: version, from_status: row.status, to_status: status, reason }))
    .updateTable('orders')
    .set({ ...changes, status, version, updated_at: new Date() })
    .where('id', '=', row.id).where('version', '=', row.version).returningAll().executeTakeFirst();
  if (!updated) throw new Error(`order ${row.id} changed under a lock (version ${row.version})`);
  return updated;
}
