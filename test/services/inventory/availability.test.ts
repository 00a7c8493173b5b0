import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  availableOf, checkAvailability, mergeLines, moveStock, setOnHand, StockInvariantViolation,
  type ProductStock, type StockLevel, type StockMovement,
} from '../../../src/services/inventory/domain/availability.ts';
import { decide, NO_RESERVATION, type ReservationCommand, type ReservationState } from '../../../src/services/inventory/domain/reservation-machine.ts';

const shelf = (...products: ProductStock[]): Map<string, ProductStock> => new Map(products.map((product) => [product.productId, product]));
const product = (productId: string, onHand: number, reserved = 0, active = true): ProductStock => ({ productId, onHand, reserved, active });

describe('availability check', () => {
  test('lines of one product are merged and sorted by product id (the lock order)', () => {
    assert.deepEqual(mergeLines([{ productId: 'b', quantity: 1 }, { productId: 'a', quantity: 2 }, { productId: 'b', quantity: 3 }]),
      [{ productId: 'a', quantity: 2 }, { productId: 'b', quantity: 4 }]);
  });

  test('enough available stock for every line: ok with the merged lines', () => {
    const result = checkAvailability([{ productId: 'pizza', quantity: 2 }, { productId: 'cake', quantity: 1 }], shelf(product('pizza', 5, 3), product('cake', 1)));
    assert.deepEqual(result, { ok: true, lines: [{ productId: 'cake', quantity: 1 }, { productId: 'pizza', quantity: 2 }] });
  });

  test('available is on hand minus reserved: the last units already promised are not available', () => {
    assert.equal(availableOf({ onHand: 5, reserved: 3 }), 2);
    const result = checkAvailability([{ productId: 'pizza', quantity: 3 }], shelf(product('pizza', 5, 3)));
    assert.deepEqual(result, { ok: false, code: 'out_of_stock', reason: 'out_of_stock: pizza requested 3, available 2' });
  });

  test('a product of another restaurant is refused, named before stock problems, and refuses the whole order', () => {
    const menu = shelf({ ...product('margherita', 5), restaurantId: 'resto-1' }, { ...product('soup', 5), restaurantId: 'resto-2' });
    assert.deepEqual(checkAvailability([{ productId: 'margherita', quantity: 1 }], menu, 'resto-2'), {
      ok: false, code: 'other_restaurant', reason: 'other_restaurant: margherita is not on the menu of resto-2',
    });
    const mixed = checkAvailability([{ productId: 'soup', quantity: 1 }, { productId: 'margherita', quantity: 9 }], menu, 'resto-2');
    assert.equal(!mixed.ok && mixed.code, 'other_restaurant');
    assert.equal(checkAvailability([{ productId: 'soup', quantity: 1 }], menu, 'resto-2').ok, true);
  });

  test('a line priced differently from the menu is refused (a customer is never sold at a wrong price); no price stated is not checked', () => {
    const menu = shelf({ ...product('pizza', 5), unitPrice: { amount: 1_200, currency: 'USD' } });
    assert.deepEqual(checkAvailability([{ productId: 'pizza', quantity: 1, unitPrice: { amount: 1, currency: 'USD' } }], menu), {
      ok: false, code: 'price_mismatch', reason: 'price_mismatch: pizza costs 1200 USD, the order says 1 USD',
    });
    assert.equal(checkAvailability([{ productId: 'pizza', quantity: 1, unitPrice: { amount: 1_200, currency: 'EUR' } }], menu).ok, false);
    assert.equal(checkAvailability([{ productId: 'pizza', quantity: 1, unitPrice: { amount: 1_200, currency: 'USD' } }], menu).ok, true);
    assert.equal(checkAvailability([{ productId: 'pizza', quantity: 1 }], menu).ok, true);
    const both = checkAvailability([{ productId: 'pizza', quantity: 9, unitPrice: { amount: 1, currency: 'USD' } }], menu);
    assert.equal(!both.ok && both.code, 'price_mismatch', 'a wrong price is named before a shortage');
  });

  test('a repeated product is checked on its total, not per line', () => {
    const result = checkAvailability([{ productId: 'pizza', quantity: 2 }, { productId: 'pizza', quantity: 2 }], shelf(product('pizza', 3)));
    assert.equal(result.ok, false);
  });

  test('unknown and inactive products refuse; every problem is named, the most fundamental first', () => {
    const result = checkAvailability(
      [{ productId: 'ghost', quantity: 1 }, { productId: 'old', quantity: 1 }, { productId: 'pizza', quantity: 9 }, { productId: 'cake', quantity: 1 }],
      shelf(product('old', 10, 0, false), product('pizza', 1), product('cake', 5)),
    );
    assert.deepEqual(result, {
      ok: false, code: 'unknown_product',
      reason: 'unknown_product: ghost is not on the menu; product_inactive: old is not on sale; out_of_stock: pizza requested 9, available 1',
    });
    assert.deepEqual(checkAvailability([{ productId: 'old', quantity: 1 }], shelf(product('old', 10, 0, false))),
      { ok: false, code: 'product_inactive', reason: 'product_inactive: old is not on sale' });
  });

  test('a quantity that is not a positive integer is a programming error, not a refusal', () => {
    for (const quantity of [0, -1, 1.5]) assert.throws(() => checkAvailability([{ productId: 'pizza', quantity }], shelf(product('pizza', 5))), RangeError);
  });

  test('property: ok exactly when every merged line fits what is available', () => {
    const ids = ['a', 'b', 'c'];
    fc.assert(fc.property(
      fc.array(fc.record({ productId: fc.constantFrom(...ids), quantity: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 })), { minLength: 3, maxLength: 3 }),
      (lines, counts) => {
        const stock = shelf(...ids.map((id, index) => {
          const [a, b] = counts[index] ?? [0, 0];
          return product(id, Math.max(a, b), Math.min(a, b));
        }));
        const fits = mergeLines(lines).every((line) => availableOf(stock.get(line.productId) as StockLevel) >= line.quantity);
        assert.equal(checkAvailability(lines, stock).ok, fits);
      },
    ));
  });
});

describe('stock movements', () => {
  const cases: [StockMovement, StockLevel, StockLevel][] = [
    ['reserve', { onHand: 10, reserved: 2 }, { onHand: 10, reserved: 5 }],
    ['unreserve', { onHand: 10, reserved: 5 }, { onHand: 10, reserved: 2 }],
    ['ship', { onHand: 10, reserved: 5 }, { onHand: 7, reserved: 2 }],
    ['restock', { onHand: 7, reserved: 2 }, { onHand: 10, reserved: 2 }],
  ];
  for (const [movement, before, after] of cases) {
    test(`${movement} of 3: ${JSON.stringify(before)} → ${JSON.stringify(after)}`, () => {
      assert.deepEqual(moveStock(before, movement, 3), after);
    });
  }

  test('a movement that would oversell or un-reserve what is not reserved throws and changes nothing', () => {
    const level = { onHand: 3, reserved: 2 };
    assert.throws(() => moveStock(level, 'reserve', 2), StockInvariantViolation);
    assert.throws(() => moveStock(level, 'unreserve', 3), StockInvariantViolation);
    assert.throws(() => moveStock(level, 'ship', 3), StockInvariantViolation);
    assert.throws(() => moveStock(level, 'restock', 0), StockInvariantViolation);
    assert.deepEqual(level, { onHand: 3, reserved: 2 });
  });

  test('an admin stock count may not go below what is reserved', () => {
    assert.deepEqual(setOnHand({ onHand: 5, reserved: 3 }, 3), { ok: true, level: { onHand: 3, reserved: 3 } });
    assert.deepEqual(setOnHand({ onHand: 5, reserved: 3 }, 40), { ok: true, level: { onHand: 40, reserved: 3 } });
    const below = setOnHand({ onHand: 5, reserved: 3 }, 2);
    assert.equal(below.ok, false);
    assert.equal(setOnHand({ onHand: 5, reserved: 0 }, -1).ok, false);
    assert.equal(setOnHand({ onHand: 5, reserved: 0 }, 1.5).ok, false);
  });
});

describe('model: the machine and the stock arithmetic together', () => {
  test('property: any sequence of commands on any orders keeps 0 ≤ reserved ≤ on hand, reserved = held units, on hand + sold = stocked', () => {
    const command = fc.record({
      order: fc.integer({ min: 0, max: 5 }),
      type: fc.constantFrom<ReservationCommand>('RESERVE', 'COMMIT', 'RELEASE'),
      quantity: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(fc.property(fc.integer({ min: 0, max: 12 }), fc.array(command, { maxLength: 60 }), (initial, commands) => {
      let level: StockLevel = { onHand: initial, reserved: 0 };
      const orders = new Map<number, { state: ReservationState; quantity: number }>();
      for (const next of commands) {
        const order = orders.get(next.order) ?? { state: NO_RESERVATION, quantity: next.quantity };
        const decision = decide(order.state, next.type);
        if (decision.outcome !== 'applied') continue;
        if (decision.movement === 'reserve' && !checkAvailability([{ productId: 'p', quantity: order.quantity }], shelf(product('p', level.onHand, level.reserved))).ok) continue;
        level = moveStock(level, decision.movement, order.quantity);
        orders.set(next.order, { ...order, state: decision.state });
        const held = [...orders.values()].filter((o) => o.state.status === 'held').reduce((sum, o) => sum + o.quantity, 0);
        const sold = [...orders.values()].filter((o) => o.state.status === 'committed').reduce((sum, o) => sum + o.quantity, 0);
        assert.ok(level.reserved >= 0 && level.reserved <= level.onHand);
        assert.equal(level.reserved, held);
        assert.equal(level.onHand + sold, initial);
      }
    }));
  });
});
