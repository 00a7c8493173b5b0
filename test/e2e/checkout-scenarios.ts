import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../support/env.ts';
import { PIZZA, type MarketplaceClient } from './marketplace-client.ts';

type Json = Record<string, unknown>;

/**
 * The seeds' checkout paths, written once and run against the embedded
 * platform and against separate processes on Kafka + PostgreSQL.
 */
export function checkoutScenarios(client: () => MarketplaceClient): void {
  test('success: the order is CONFIRMED, stock committed, a delivery exists and the customer is told once', async () => {
    const c = client();
    const before = await c.available(PIZZA.productId);
    const checkout = await c.checkout(2);
    assert.equal(checkout.status, 201, checkout.text);
    assert.equal(checkout.body.clientSecret, undefined, 'the checkout answer carries no client secret');
    const mine = await c.call('GET', `${c.endpoints.payment}/payments/${String(checkout.body.paymentId)}`, 'customer');
    assert.match(String(mine.body.clientSecret), /_secret_/, 'the paying customer reads it from their payment');
    const orderId = String(checkout.body.orderId);
    assert.equal((await c.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
    await c.orderReaches(orderId, 'CONFIRMED');
    const saga = await c.sagaReaches(String(checkout.body.sagaId), 'COMPLETED');
    const steps = (saga.timeline as Json[]).filter((entry) => entry.kind === 'succeeded' || entry.kind === 'event').map((entry) => entry.step);
    assert.deepEqual(steps, ['create-order', 'reserve-stock', 'create-payment', 'await-payment', 'commit-stock', 'confirm-order', 'create-delivery', 'notify-customer']);
    assert.equal((await c.deliveries(orderId)).length, 1);
    const notifications = await eventually('confirmation sent', async () => {
      const sent = await c.notifications(orderId);
      return sent.some((notification) => notification.status === 'sent') ? sent : undefined;
    });
    assert.deepEqual(notifications.map((notification) => notification.kind), ['order-confirmed']);
    assert.equal(await c.available(PIZZA.productId), before - 2);
  });

  test('card declined: stock released, order PAYMENT_FAILED, the customer told', async () => {
    const c = client();
    const before = await c.available(PIZZA.productId);
    const checkout = await c.checkout(3);
    assert.equal(checkout.status, 201, checkout.text);
    assert.equal(await c.available(PIZZA.productId), before - 3, 'reserved while paying');
    assert.equal((await c.pay(String(checkout.body.paymentId), 'pm_card_visa_chargeDeclined')).status, 402);
    await c.orderReaches(String(checkout.body.orderId), 'PAYMENT_FAILED');
    await c.sagaReaches(String(checkout.body.sagaId), 'COMPENSATED');
    assert.equal(await c.available(PIZZA.productId), before, 'stock is back');
    await eventually('failure notice', async () => (await c.notifications(String(checkout.body.orderId))).some((notification) => notification.kind === 'payment-failed'));
  });

  test('out of stock: the checkout is refused at once and nothing is held', async () => {
    const c = client();
    const before = await c.available(PIZZA.productId);
    const checkout = await c.checkout(before + 1);
    assert.equal(checkout.status, 409, checkout.text);
    assert.equal((checkout.body.error as Json).code, 'checkout_failed');
    assert.match(String((checkout.body.error as Json).message), /out_of_stock|stock/);
    assert.equal(await c.available(PIZZA.productId), before);
  });

  test('a checkout priced below the menu is refused and holds nothing', async () => {
    const c = client();
    const before = await c.available(PIZZA.productId);
    const checkout = await c.call('POST', `${c.endpoints.checkout}/checkout`, 'customer', {
      restaurantId: 'resto-1', items: [{ ...PIZZA, unitPrice: { amount: 1, currency: 'USD' }, quantity: 3 }], deliveryAddress: '1 Main Street',
    });
    assert.equal(checkout.status, 409, checkout.text);
    assert.match(String((checkout.body.error as Json).message), /price_mismatch: margherita costs 1200 USD/);
    assert.equal(await c.available(PIZZA.productId), before);
  });

  test('delivery cannot be created: the payment is refunded, the order cancelled and the stock restored', async () => {
    const c = client();
    const before = await c.available(PIZZA.productId);
    const checkout = await c.checkout(1, '9 Unreachable Island');
    assert.equal(checkout.status, 201, checkout.text);
    assert.equal((await c.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
    await c.sagaReaches(String(checkout.body.sagaId), 'COMPENSATED');
    await c.orderReaches(String(checkout.body.orderId), 'CANCELLED');
    await eventually('payment refunded', async () => (await c.payment(String(checkout.body.paymentId))).status === 'REFUNDED');
    assert.equal(await c.available(PIZZA.productId), before);
  });

  test('cancellation after payment: the refund saga refunds, restocks and ends the order REFUNDED', async () => {
    const c = client();
    const before = await c.available(PIZZA.productId);
    const checkout = await c.checkout(2);
    const orderId = String(checkout.body.orderId);
    assert.equal((await c.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
    await c.orderReaches(orderId, 'CONFIRMED');
    await c.sagaReaches(String(checkout.body.sagaId), 'COMPLETED');
    const cancel = await c.call('POST', `${c.endpoints.order}/orders/${orderId}/cancel`, 'customer', { reason: 'changed my mind' });
    assert.equal(cancel.status, 202, cancel.text);
    await c.orderReaches(orderId, 'REFUNDED');
    assert.equal((await c.payment(String(checkout.body.paymentId))).status, 'REFUNDED');
    assert.equal(await c.available(PIZZA.productId), before, 'restocked: nothing had shipped');
    const [delivery] = await c.deliveries(orderId);
    assert.equal(delivery?.status, 'CANCELLED');
  });

  test('the courier drives the order to DELIVERED; an admin can refund part of it afterwards', async () => {
    const c = client();
    const checkout = await c.checkout(2);
    const orderId = String(checkout.body.orderId);
    assert.equal((await c.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
    await c.sagaReaches(String(checkout.body.sagaId), 'COMPLETED');
    const [delivery] = await c.deliveries(orderId);
    assert.ok(delivery);
    for (const status of ['COURIER_ASSIGNED', 'PICKED_UP', 'DELIVERED']) {
      const moved = await c.call('POST', `${c.endpoints.delivery}/deliveries/${String(delivery.id)}/status`, 'courier', { status });
      assert.equal(moved.status, 200, moved.text);
      if (status === 'PICKED_UP') await c.orderReaches(orderId, 'OUT_FOR_DELIVERY');
    }
    await c.orderReaches(orderId, 'DELIVERED');
    const tooLate = await c.call('POST', `${c.endpoints.order}/orders/${orderId}/cancel`, 'customer', { reason: 'too late' });
    assert.equal(tooLate.status, 409, 'a delivered order cannot be cancelled');
    const partial = await c.call('POST', `${c.endpoints.checkout}/orders/${orderId}/refunds`, 'admin', { amount: { amount: 500, currency: 'USD' }, reason: 'cold pizza' });
    assert.equal(partial.status, 202, partial.text);
    await c.sagaReaches(String(partial.body.sagaId), 'COMPLETED');
    const payment = await c.payment(String(checkout.body.paymentId));
    assert.equal(payment.status, 'PARTIALLY_REFUNDED');
    assert.deepEqual(payment.refunded, { amount: 500, currency: 'USD' });
    assert.equal((await c.order(orderId)).status, 'DELIVERED', 'a partial refund leaves the order as it is');
  });

  test('an unpaid checkout past its deadline: intent cancelled, stock released, order cancelled', async () => {
    const c = client();
    const before = await c.available(PIZZA.productId);
    const checkout = await c.checkout(1, '1 Main Street', 3);
    assert.equal(checkout.status, 201, checkout.text);
    await c.sagaReaches(String(checkout.body.sagaId), 'COMPENSATED', 60_000);
    await c.orderReaches(String(checkout.body.orderId), 'CANCELLED');
    assert.equal((await c.payment(String(checkout.body.paymentId))).status, 'CANCELLED');
    assert.equal(await c.available(PIZZA.productId), before);
  });
}
