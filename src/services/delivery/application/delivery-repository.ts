import { sql, type Kysely } from 'kysely';
import { childRowsAsJson, rowsFromJson } from '../../../platform/database/json-rows.ts';
import type { DeliveryState } from '../domain/delivery-machine.ts';
import { deliveryDb } from '../store/tables.ts';
import type { DeliveryHistoryRead, DeliveryHistoryRow, DeliveryRow } from './delivery-view.ts';

export function stateOf(row: DeliveryRow): DeliveryState {
  return { status: row.status, courierId: row.courier_id };
}

/**
 * Serialises every command about one order for the rest of the transaction,
 * including "create" when no row exists yet to lock (two instances briefly
 * sharing a partition during a rebalance must not both decide).
 */
export async function lockOrder(trx: Kysely<unknown>, schema: string, orderId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`paysaga.delivery.${schema}.${orderId}`}))`.execute(trx);
}

/** A delivery (by its id or its order's) and its status history, oldest first, in one statement: what its view shows. */
export async function findDeliveryWithHistory(db: Kysely<unknown>, schema: string, by: { id: string } | { orderId: string }): Promise<{ row: DeliveryRow; history: DeliveryHistoryRead[] } | undefined> {
  const query = deliveryDb(db, schema).selectFrom('deliveries').selectAll('deliveries')
    .select(childRowsAsJson(`${schema}.delivery_status_history`, 'delivery_id', 'deliveries.id', ['id']).as('history'));
  const found = await ('id' in by ? query.where('deliveries.id', '=', by.id) : query.where('deliveries.order_id', '=', by.orderId)).executeTakeFirst();
  if (!found) return undefined;
  const { history, ...row } = found;
  return { row, history: rowsFromJson<DeliveryHistoryRead>(history, ['occurred_at']) };
}

export function findDeliveryByOrder(db: Kysely<unknown>, schema: string, orderId: string): Promise<DeliveryRow | undefined> {
  return deliveryDb(db, schema).selectFrom('deliveries').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

/** Reads and locks one delivery: every change to a delivery is serialised on its row. */
export function lockDelivery(trx: Kysely<unknown>, schema: string, deliveryId: string): Promise<DeliveryRow | undefined> {
  return deliveryDb(trx, schema).selectFrom('deliveries').selectAll().where('id', '=', deliveryId).forUpdate().executeTakeFirst();
}

export function lockDeliveryByOrder(trx: Kysely<unknown>, schema: string, orderId: string): Promise<DeliveryRow | undefined> {
  return deliveryDb(trx, schema).selectFrom('deliveries').selectAll().where('order_id', '=', orderId).forUpdate().executeTakeFirst();
}

export function historyOf(db: Kysely<unknown>, schema: string, deliveryId: string): Promise<DeliveryHistoryRow[]> {
  return deliveryDb(db, schema).selectFrom('delivery_status_history').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();
}

export async function insertDelivery(
  trx: Kysely<unknown>, schema: string,
  values: Pick<DeliveryRow, 'id' | 'order_id' | 'customer_id' | 'restaurant_id' | 'address' | 'correlation_id' | 'traceparent'>,
): Promise<DeliveryRow> {
  const now = new Date();
  const row = await deliveryDb(trx, schema).insertInto('deliveries').values({
    ...values, status: 'CREATED', courier_id: null, cancel_reason: null, version: 0, created_at: now, updated_at: now,
  }).returningAll().executeTakeFirstOrThrow();
  await deliveryDb(trx, schema).insertInto('delivery_status_history')
    .values({ delivery_id: row.id, status: 'CREATED', courier_id: null, reason: null, occurred_at: now }).execute();
  return row;
}

/** Writes a locked delivery's new state (and its history entry), bumping its version; returns the row as it now is. */
export async function updateDelivery(
  trx: Kysely<unknown>, schema: string, row: DeliveryRow, state: DeliveryState, reason: string | null,
): Promise<DeliveryRow> {
  const now = new Date();
  const updated = await deliveryDb(trx, schema).updateTable('deliveries')
    .set({
      status: state.status, courier_id: state.courierId, version: row.version + 1, updated_at: now,
      ...(state.status === 'CANCELLED' ? { cancel_reason: reason } : {}),
    })
    .where('id', '=', row.id).where('version', '=', row.version).returningAll().executeTakeFirst();
  if (!updated) throw new Error(`delivery ${row.id} changed under a lock (version ${row.version})`);
  await deliveryDb(trx, schema).insertInto('delivery_status_history')
    .values({ delivery_id: row.id, status: state.status, courier_id: state.courierId, reason, occurred_at: now }).execute();
  return updated;
}

export async function findRefusal(trx: Kysely<unknown>, schema: string, orderId: string): Promise<string | undefined> {
  const row = await deliveryDb(trx, schema).selectFrom('delivery_refusals').select('reason').where('order_id', '=', orderId).executeTakeFirst();
  return row?.reason;
}

export async function recordRefusal(trx: Kysely<unknown>, schema: string, orderId: string, reason: string): Promise<void> {
  await deliveryDb(trx, schema).insertInto('delivery_refusals').values({ order_id: orderId, reason })
    .onConflict((conflict) => conflict.column('order_id').doNothing()).execute();
}
