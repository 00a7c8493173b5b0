import type { ColumnType, Kysely } from 'kysely';
import type { CurrencyCode } from '../../../contracts/money.ts';
import type { ReservationStatus } from '../domain/reservation-machine.ts';

export interface ProductsTable {
  id: string;
  restaurant_id: string;
  name: string;
  /** Price of one unit in the currency's minor unit (cents for USD). */
  unit_price: number;
  currency: CurrencyCode;
  active: boolean;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: Date;
}

export interface StockTable {
  product_id: string;
  on_hand: number;
  reserved: number;
  /** Every unit ever put on the shelf, net of an admin's corrections: on_hand + units sold = stocked (the audit's conservation law). */
  stocked: number;
  version: number;
  updated_at: Date;
}

export interface ReservationsTable {
  /** The order is the business key: one reservation per order, whatever the number of command attempts. */
  order_id: string;
  status: ReservationStatus;
  /** Why it was released. */
  reason: string | null;
  correlation_id: string;
  committed_at: Date | null;
  released_at: Date | null;
  version: number;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: Date;
}

export interface ReservationLinesTable {
  order_id: string;
  product_id: string;
  quantity: number;
}

/** Orders whose ReserveStock was refused (or released before any reserve arrived): a repeat gets the same answer. */
export interface ReservationRefusalsTable {
  order_id: string;
  reason: string;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface InventoryTables {
  products: ProductsTable;
  stock: StockTable;
  reservations: ReservationsTable;
  reservation_lines: ReservationLinesTable;
  reservation_refusals: ReservationRefusalsTable;
}

export type InventoryDb = Kysely<InventoryTables>;

export function inventoryDb(db: Kysely<unknown>, schema: string): InventoryDb {
  return (db as unknown as InventoryDb).withSchema(schema);
}
