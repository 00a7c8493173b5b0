import type { Selectable } from 'kysely';
import type { DeliveryStatus } from '../domain/delivery-machine.ts';
import type { DeliveriesTable, DeliveryStatusHistoryTable } from '../store/tables.ts';

export type DeliveryRow = Selectable<DeliveriesTable>;
export type DeliveryHistoryRow = Selectable<DeliveryStatusHistoryTable>;

export interface DeliveryHistoryEntry {
  status: DeliveryStatus;
  courierId: string | null;
  reason: string | null;
  at: string;
}

/** What the API (and tests) see of a delivery. */
export interface DeliveryView {
  id: string;
  orderId: string;
  customerId: string;
  restaurantId: string | null;
  address: string;
  status: DeliveryStatus;
  courierId: string | null;
  cancelReason: string | null;
  version: number;
  history: DeliveryHistoryEntry[];
  createdAt: string;
  updatedAt: string;
}

/** What a view shows of a history entry (a row read apart, or one aggregated as JSON with the delivery). */
export type DeliveryHistoryRead = Pick<DeliveryHistoryRow, 'status' | 'courier_id' | 'reason' | 'occurred_at'>;

export function deliveryViewOf(row: DeliveryRow, history: readonly DeliveryHistoryRead[]): DeliveryView {
  return {
    id: row.id, orderId: row.order_id, customerId: row.customer_id, restaurantId: row.restaurant_id, address: row.address, status: row.status,
    courierId: row.courier_id, cancelReason: row.cancel_reason, version: row.version,
    history: history.map((entry) => ({ status: entry.status, courierId: entry.courier_id, reason: entry.reason, at: entry.occurred_at.toISOString() })),
    createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}
