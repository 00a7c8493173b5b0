import type { Money } from '../../../contracts/money.ts';

/**
 * Pure stock arithmetic: what an order asks for, whether the shelf can give it,
 * and how each kind of movement changes a product's counters. Nothing here
 * reads or writes a database; the application locks the rows and applies the
 * levels these functions return.
 */

/** One line of a reservation: a product and how many units. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/** A line as ordered: with the price the customer is charged, when the caller states it. */
export interface OrderedLine extends StockLine {
  unitPrice?: Money;
}

/** A product's counters: `onHand` units on the shelf, `reserved` of them promised to held reservations. */
export interface StockLevel {
  onHand: number;
  reserved: number;
}

/** What the availability check needs to know about one product. */
export interface ProductStock extends StockLevel {
  productId: string;
  active: boolean;
  /** The menu price (absent in callers that only count stock). */
  unitPrice?: Money;
  /** The restaurant that sells it (absent in callers that only count stock). */
  restaurantId?: string;
}

/**
 * How a reservation moves stock, per line of quantity q:
 * reserve (reserved += q), unreserve (reserved −= q),
 * ship (on_hand −= q, reserved −= q: the reservation became a sale),
 * restock (on_hand += q: a sale came back to the shelf).
 */
export type StockMovement = 'reserve' | 'unreserve' | 'ship' | 'restock';

export type RefusalCode = 'unknown_product' | 'other_restaurant' | 'product_inactive' | 'price_mismatch' | 'out_of_stock';

export type AvailabilityResult =
  | { ok: true; lines: StockLine[] }
  | { ok: false; code: RefusalCode; reason: string };

export function availableOf(level: StockLevel): number {
  return level.onHand - level.reserved;
}

/** One line per product (quantities of repeated products added up), in product-id order: the order rows are locked in. */
export function mergeLines(lines: readonly StockLine[]): StockLine[] {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([productId, quantity]) => ({ productId, quantity }));
}

const REFUSAL_PRIORITY: readonly RefusalCode[] = ['unknown_product', 'other_restaurant', 'product_inactive', 'price_mismatch', 'out_of_stock'];

/**
 * All or nothing: every line must name an active product with enough
 * available units (on hand − reserved), sold by `restaurantId` when the order
 * names its restaurant. A refusal names every problem, the most fundamental
 * kind first (`unknown_product: …; out_of_stock: …`).
 */
export function checkAvailability(lines: readonly OrderedLine[], stock: ReadonlyMap<string, ProductStock>, restaurantId?: string): AvailabilityResult {
  const merged = mergeLines(lines);
  const problems = new Map<RefusalCode, string[]>();
  const note = (code: RefusalCode, text: string): void => { problems.set(code, [...(problems.get(code) ?? []), text]); };
  // A customer is charged what the order says: a price that is not the menu's is refused, never sold at the wrong price.
  for (const line of lines) {
    const menuPrice = stock.get(line.productId)?.unitPrice;
    if (line.unitPrice && menuPrice && (line.unitPrice.amount !== menuPrice.amount || line.unitPrice.currency !== menuPrice.currency)) {
      note('price_mismatch', `${line.productId} costs ${menuPrice.amount} ${menuPrice.currency}, the order says ${line.unitPrice.amount} ${line.unitPrice.currency}`);
    }
  }
  for (const line of merged) {
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) throw new RangeError(`quantity of ${line.productId} must be a positive integer, got ${line.quantity}`);
    const product = stock.get(line.productId);
    if (!product) note('unknown_product', `${line.productId} is not on the menu`);
    // A restaurant sells only its own menu: another's product would be charged to one and taken from the other's shelf.
    else if (restaurantId !== undefined && product.restaurantId !== restaurantId) note('other_restaurant', `${line.productId} is not on the menu of ${restaurantId}`);
    else if (!product.active) note('product_inactive', `${line.productId} is not on sale`);
    else if (availableOf(product) < line.quantity) note('out_of_stock', `${line.productId} requested ${line.quantity}, available ${availableOf(product)}`);
  }
  const codes = REFUSAL_PRIORITY.filter((code) => problems.has(code));
  const first = codes[0];
  if (first === undefined) return { ok: true, lines: merged };
  return { ok: false, code: first, reason: codes.map((code) => `${code}: ${(problems.get(code) ?? []).join(', ')}`).join('; ') };
}

export class StockInvariantViolation extends Error {
  override name = 'StockInvariantViolation';
}

/**
 * A product's counters after one movement of `quantity` units. Keeps
 * 0 ≤ reserved ≤ on_hand; a movement that would break it throws, because the
 * callers only move what a reservation holds (a throw means a bug, and the
 * transaction rolls back instead of corrupting stock).
 */
export function moveStock(level: StockLevel, movement: StockMovement, quantity: number): StockLevel {
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new StockInvariantViolation(`a movement needs a positive integer quantity, got ${quantity}`);
  const next = (() => {
    switch (movement) {
      case 'reserve': return { onHand: level.onHand, reserved: level.reserved + quantity };
      case 'unreserve': return { onHand: level.onHand, reserved: level.reserved - quantity };
      case 'ship': return { onHand: level.onHand - quantity, reserved: level.reserved - quantity };
      case 'restock': return { onHand: level.onHand + quantity, reserved: level.reserved };
    }
  })();
  if (next.reserved < 0 || next.reserved > next.onHand) {
    throw new StockInvariantViolation(`${movement} of ${quantity} would leave on_hand ${next.onHand}, reserved ${next.reserved} (from on_hand ${level.onHand}, reserved ${level.reserved})`);
  }
  return next;
}

/** An admin's absolute count of the shelf; it may not drop below what is promised to held reservations. */
export function setOnHand(level: StockLevel, onHand: number): { ok: true; level: StockLevel } | { ok: false; reason: string } {
  if (!Number.isSafeInteger(onHand) || onHand < 0) return { ok: false, reason: `on hand must be a non-negative integer, got ${onHand}` };
  if (onHand < level.reserved) return { ok: false, reason: `${level.reserved} units are reserved by held orders; on hand cannot go below that (asked ${onHand})` };
  return { ok: true, level: { onHand, reserved: level.reserved } };
}
