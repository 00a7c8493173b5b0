import type { ColumnType, Kysely } from 'kysely';
import type { CurrencyCode } from '../../../contracts/money.ts';
import type { OrderLine } from '../domain/order-details.ts';
import type { OrderStatus } from '../domain/order-machine.ts';

export interface OrdersTable {
  /** The orderId: the saga's business key and every message's partition key. */
  id: string;
  customer_id: string;
  restaurant_id: string;
  /** jsonb array of contract OrderItem lines; written as JSON text. */
  items: ColumnType<OrderLine[], string, string>;
  total_amount: number;
  currency: CurrencyCode;
  delivery_address: string;
  status: OrderStatus;
  payment_id: string | null;
  cancel_reason: string | null;
  /** The checkout saga's id (from CreateOrder), carried by events the order raises on its own (HTTP). */
  correlation_id: string;
  traceparent: string;
  version: number;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: Date;
}

/** The audit trail: one row per status change, seq = the order's version after the change. */
export interface OrderStatusHistoryTable {
  order_id: string;
  seq: number;
  /** null on the row that records the creation. */
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  reason: string | null;
  at: ColumnType<Date, Date | undefined, never>;
}

/**
 * Order ids whose checkout was abandoned (CancelOrder) before CreateOrder ran:
 * a CreateOrder arriving late (from the retry topic) must not bring them back.
 */
export interface CancelledBeforeCreationTable {
  order_id: string;
  outcome: 'PAYMENT_FAILED' | 'CANCELLED';
  reason: string;
  at: ColumnType<Date, Date | undefined, never>;
}

export interface OrderTables {
  orders: OrdersTable;
  order_status_history: OrderStatusHistoryTable;
  cancelled_before_creation: CancelledBeforeCreationTable;
}

export type OrderDb = Kysely<OrderTables>;

export function orderDb(db: Kysely<unknown>, schema: string): OrderDb {
  return (db as unknown as OrderDb).withSchema(schema);
}
