import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addMoney, formatMoney, money, MoneyError, subtractMoney } from '../../src/contracts/money.ts';

test('money accepts integer minor units of a known currency and nothing else', () => {
  assert.deepEqual(money(1999, 'USD'), { amount: 1999, currency: 'USD' });
  for (const bad of [-1, 1.5, Number.NaN, 100_000_000]) assert.throws(() => money(bad, 'USD'), MoneyError);
  assert.throws(() => money(100, 'XYZ'), /unknown currency/);
  assert.throws(() => money(100, 'usd'), /unknown currency/);
});

test('arithmetic stays in one currency and never goes negative', () => {
  assert.deepEqual(addMoney(money(150, 'EUR'), money(50, 'EUR')), { amount: 200, currency: 'EUR' });
  assert.throws(() => addMoney(money(1, 'EUR'), money(1, 'USD')), /currency mismatch/);
  assert.throws(() => subtractMoney(money(1, 'EUR'), money(2, 'EUR')), /cannot subtract/);
  fc.assert(fc.property(fc.nat(1_000_000), fc.nat(1_000_000), (a, b) => {
    const sum = addMoney(money(a, 'USD'), money(b, 'USD'));
    return Number.isInteger(sum.amount) && subtractMoney(sum, money(b, 'USD')).amount === a;
  }));
});

test('formats by the currency exponent of ISO 4217', () => {
  assert.equal(formatMoney(money(1999, 'USD')), '19.99 USD');
  assert.equal(formatMoney(money(1999, 'JPY')), '1999 JPY');
  assert.equal(formatMoney(money(1005, 'KWD')), '1.005 KWD');
});
