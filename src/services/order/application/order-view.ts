import type { Selectable } from 'kysely';
import type { Money } from '../../../contracts/money.ts';
import type { OrderLine } from '../domain/order-details.ts';
import type { OrderStatus } from '../domain/order-machine.ts';
import type { OrderStatusHistoryTable, OrdersTable } from '../store/tables.ts';

export type OrderRow = Selectable<OrdersTable>;
export type HistoryRow = Selectable<OrderStatusHistoryTable>;

export interface StatusChangeView {
  seq: number;
  /** null on the entry recording the creation. */
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus;
  reason: string | null;
  at: string;
}

export interface OrderSummaryView {
  orderId: string;
  customerId: string;
  restaurantId: string;
  items: OrderLine[];
  total: Money;
  deliveryAddress: string;
  status: OrderStatus;
  paymentId: string | null;
  cancelReason: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** An order as the API shows it, with its audit trail oldest first. */
export interface OrderView extends OrderSummaryView {
  history: StatusChangeView[];
}

export function orderSummaryOf(row: OrderRow): OrderSummaryView {
  return {
    orderId: row.id, customerId: row.customer_id, restaurantId: row.restaurant_id, items: row.items,
    total: { amount: row.total_amount, currency: row.currency }, deliveryAddress: row.delivery_address, status: row.status,
    paymentId: row.payment_id, cancelReason: row.cancel_reason, version: row.version,
    createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}

export function orderViewOf(row: OrderRow, history: readonly HistoryRow[]): OrderView {
  return {
    ...orderSummaryOf(row),
    history: history.map((entry) => ({ seq: entry.seq, fromStatus: entry.from_status, toStatus: entry.to_status, reason: entry.reason, at: entry.at.toISOString() })),
  };
}
