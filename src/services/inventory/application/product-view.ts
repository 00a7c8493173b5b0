import type { Money } from '../../../contracts/money.ts';
import { availableOf } from '../domain/availability.ts';

/** A product as the API shows it: its price and its stock, with what is still available to order. */
export interface ProductView {
  id: string;
  restaurantId: string;
  name: string;
  unitPrice: Money;
  active: boolean;
  onHand: number;
  reserved: number;
  /** on hand − reserved: what a new order may still take. */
  available: number;
  updatedAt: string;
}

export interface ProductStockRow {
  id: string;
  restaurant_id: string;
  name: string;
  unit_price: number;
  currency: Money['currency'];
  active: boolean;
  on_hand: number;
  reserved: number;
  updated_at: Date;
}

export function productViewOf(row: ProductStockRow): ProductView {
  return {
    id: row.id, restaurantId: row.restaurant_id, name: row.name,
    unitPrice: { amount: row.unit_price, currency: row.currency }, active: row.active,
    onHand: row.on_hand, reserved: row.reserved, available: availableOf({ onHand: row.on_hand, reserved: row.reserved }),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * One product's books, read in one statement (one snapshot): the counters and
 * what the reservations say they should be. `conserved` is the audit's
 * invariant: on hand + units sold = units stocked, and reserved = units held.
 */
export interface StockAudit {
  productId: string;
  onHand: number;
  reserved: number;
  available: number;
  /** Units in held reservations. */
  held: number;
  /** Units in committed reservations (sold and not restocked). */
  sold: number;
  /** Units ever put on the shelf, net of an admin's corrections. */
  stocked: number;
  conserved: boolean;
}
