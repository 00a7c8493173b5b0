import type { Books } from '../books.ts';
import { CheckTally, type CheckResult } from '../report.ts';

/**
 * Stock is conserved per product. The inventory service records `stocked`,
 * every unit ever put on the shelf (net of an admin's corrections): the
 * "initial" of the law initial = available + reserved + sold − restocked,
 * where available = on_hand − reserved, sold = the lines of every reservation
 * ever committed, and restocked = those of them released afterwards. Also,
 * `reserved` is exactly what held reservations hold.
 */
export function checkStockConserved(books: Books): CheckResult {
  const tally = new CheckTally();
  const held = new Map<string, number>();
  const sold = new Map<string, number>();
  const restocked = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, quantity: number): void => { map.set(key, (map.get(key) ?? 0) + quantity); };
  for (const line of books.reservationLines) {
    if (line.status === 'held') add(held, line.productId, line.quantity);
    if (line.wasCommitted) add(sold, line.productId, line.quantity);
    if (line.wasCommitted && line.status === 'released') add(restocked, line.productId, line.quantity);
  }
  for (const stock of books.stock) {
    tally.look();
    const available = stock.onHand - stock.reserved;
    const soldUnits = sold.get(stock.productId) ?? 0;
    const restockedUnits = restocked.get(stock.productId) ?? 0;
    const accounted = available + stock.reserved + soldUnits - restockedUnits;
    if (accounted !== stock.stocked) {
      tally.violation({ productId: stock.productId },
        `stocked ${stock.stocked} ≠ available ${available} + reserved ${stock.reserved} + sold ${soldUnits} − restocked ${restockedUnits} = ${accounted}`);
    }
    const heldUnits = held.get(stock.productId) ?? 0;
    if (heldUnits !== stock.reserved) tally.violation({ productId: stock.productId }, `reserved ${stock.reserved} but held reservations hold ${heldUnits}`);
  }
  return tally.result('stock-conserved', 'per product, stocked = available + reserved + sold − restocked, and reserved = what held reservations hold');
}
