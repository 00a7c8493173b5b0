/**
 * The content of an order as the checkout gives it, and the two checks on it:
 * the total is exactly the sum of its lines in one currency, and a repeated
 * CreateOrder carries the same content as the order already stored.
 */
import type { Money } from '../../../contracts/money.ts';

export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: Money;
}

export interface OrderDetails {
  customerId: string;
  restaurantId: string;
  items: readonly OrderLine[];
  total: Money;
  deliveryAddress: string;
}

export type TotalCheck = { ok: true } | { ok: false; code: 'invalid_total'; message: string };

/** Σ quantity × unitPrice, in minor units, all in the total's currency; never a float. */
export function checkTotal(items: readonly OrderLine[], total: Money): TotalCheck {
  const foreign = items.find((line) => line.unitPrice.currency !== total.currency);
  if (foreign) {
    return { ok: false, code: 'invalid_total', message: `line ${foreign.productId} is priced in ${foreign.unitPrice.currency}, the total in ${total.currency}: an order has one currency` };
  }
  const sum = items.reduce((acc, line) => acc + line.quantity * line.unitPrice.amount, 0);
  if (!Number.isSafeInteger(sum) || sum !== total.amount) {
    return { ok: false, code: 'invalid_total', message: `the total ${total.amount} ${total.currency} is not the sum of the lines (${sum} ${total.currency})` };
  }
  return { ok: true };
}

function sameLine(a: OrderLine, b: OrderLine): boolean {
  return a.productId === b.productId && a.name === b.name && a.quantity === b.quantity
    && a.unitPrice.amount === b.unitPrice.amount && a.unitPrice.currency === b.unitPrice.currency;
}

/** Field by field (stored JSON may come back with its keys in another order). */
export function sameDetails(a: OrderDetails, b: OrderDetails): boolean {
  return a.customerId === b.customerId && a.restaurantId === b.restaurantId && a.deliveryAddress === b.deliveryAddress
    && a.total.amount === b.total.amount && a.total.currency === b.total.currency
    && a.items.length === b.items.length && a.items.every((line, index) => { const other = b.items[index]; return other !== undefined && sameLine(line, other); });
}
