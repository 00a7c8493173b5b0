import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkTotal, sameDetails, type OrderDetails, type OrderLine } from '../../../src/services/order/domain/order-details.ts';
import { CURRENCY_CODES, type CurrencyCode } from '../../../src/contracts/money.ts';

const line = (productId: string, quantity: number, amount: number, currency: CurrencyCode = 'USD'): OrderLine => ({
  productId, name: `Dish ${productId}`, quantity, unitPrice: { amount, currency },
});

const lines = (currency: CurrencyCode) => fc.array(
  fc.record({ productId: fc.string({ minLength: 1, maxLength: 8 }), quantity: fc.integer({ min: 1, max: 1000 }), amount: fc.integer({ min: 0, max: 99_999 }) })
    .map(({ productId, quantity, amount }) => line(productId, quantity, amount, currency)),
  { minLength: 1, maxLength: 50 },
);

describe('order total', () => {
  test('Σ quantity × unitPrice is accepted; any other amount is invalid_total', () => {
    fc.assert(fc.property(fc.constantFrom(...CURRENCY_CODES), fc.integer({ min: 1, max: 1_000 }), (currency, offset) => fc.assert(fc.property(lines(currency), (items) => {
      const sum = items.reduce((acc, item) => acc + item.quantity * item.unitPrice.amount, 0);
      assert.deepEqual(checkTotal(items, { amount: sum, currency }), { ok: true });
      const wrong = checkTotal(items, { amount: sum + offset, currency });
      assert.ok(!wrong.ok);
      assert.equal(wrong.code, 'invalid_total');
      if (sum >= offset) assert.equal(checkTotal(items, { amount: sum - offset, currency }).ok, false);
    }), { numRuns: 5 })), { numRuns: 20 });
  });

  test('a worked example, and one currency per order', () => {
    const items = [line('burger', 2, 1_250), line('fries', 3, 399)];
    assert.deepEqual(checkTotal(items, { amount: 3_697, currency: 'USD' }), { ok: true });
    const short = checkTotal(items, { amount: 3_696, currency: 'USD' });
    assert.ok(!short.ok);
    assert.match(short.message, /3697/);
    const mixed = checkTotal([line('burger', 1, 1_000, 'USD'), line('wine', 1, 1_000, 'EUR')], { amount: 2_000, currency: 'USD' });
    assert.ok(!mixed.ok);
    assert.equal(mixed.code, 'invalid_total');
    assert.match(mixed.message, /EUR/);
    assert.equal(checkTotal([line('burger', 1, 1_000, 'EUR')], { amount: 1_000, currency: 'USD' }).ok, false);
  });
});

describe('same order content', () => {
  const base: OrderDetails = {
    customerId: 'cust_1', restaurantId: 'rest_1', deliveryAddress: '1 Main St',
    items: [line('burger', 2, 1_250), line('fries', 1, 399)], total: { amount: 2_899, currency: 'USD' },
  };

  test('the same content with its JSON keys in another order is the same order', () => {
    const reordered: OrderDetails = {
      total: { currency: 'USD', amount: 2_899 }, deliveryAddress: '1 Main St', restaurantId: 'rest_1', customerId: 'cust_1',
      items: base.items.map((item) => ({ unitPrice: { currency: item.unitPrice.currency, amount: item.unitPrice.amount }, quantity: item.quantity, name: item.name, productId: item.productId })),
    };
    assert.equal(sameDetails(base, reordered), true);
  });

  test('any field changed is another order', () => {
    const variants: OrderDetails[] = [
      { ...base, customerId: 'cust_2' },
      { ...base, restaurantId: 'rest_2' },
      { ...base, deliveryAddress: '2 Main St' },
      { ...base, total: { amount: 2_899, currency: 'EUR' } },
      { ...base, total: { amount: 2_900, currency: 'USD' } },
      { ...base, items: [line('burger', 3, 1_250), line('fries', 1, 399)] },
      { ...base, items: [line('fries', 1, 399), line('burger', 2, 1_250)] },
      { ...base, items: [line('burger', 2, 1_250)] },
      { ...base, items: [{ ...line('burger', 2, 1_250), name: 'Cheeseburger' }, line('fries', 1, 399)] },
    ];
    for (const variant of variants) assert.equal(sameDetails(base, variant), false, JSON.stringify(variant));
  });
});
