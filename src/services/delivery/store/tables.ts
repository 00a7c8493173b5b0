import type { ColumnType, Generated, Kysely } from 'kysely';
import type { DeliveryStatus } from '../domain/delivery-machine.ts';

export interface DeliveriesTable {
  id: string;
  /** The business key: one delivery per order. */
  order_id: string;
  /** Kept so a customer may read the delivery of their own order. */
  customer_id: string;
  /** Kept so the restaurant may read the delivery of its own order. */
  restaurant_id: string | null;
  address: string;
  status: DeliveryStatus;
  courier_id: string | null;
  cancel_reason: string | null;
  /** The saga's correlation id and trace, carried by every event about the delivery. */
  correlation_id: string;
  traceparent: string;
  version: number;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: Date;
}

export interface DeliveryStatusHistoryTable {
  id: Generated<bigint>;
  delivery_id: string;
  status: DeliveryStatus;
  courier_id: string | null;
  reason: string | null;
  occurred_at: ColumnType<Date, Date | undefined, never>;
}

/** Orders this service will never deliver, and why: the address is outside the area, or the order was cancelled before its delivery existed. */
export interface DeliveryRefusalsTable {
  order_id: string;
  reason: string;
  refused_at: ColumnType<Date, Date | undefined, never>;
}

export interface DeliveryTables {
  deliveries: DeliveriesTable;
  delivery_status_history: DeliveryStatusHistoryTable;
  delivery_refusals: DeliveryRefusalsTable;
}

export type DeliveryDb = Kysely<DeliveryTables>;

export function deliveryDb(db: Kysely<unknown>, schema: string): DeliveryDb {
  return (db as unknown as DeliveryDb).withSchema(schema);
}
