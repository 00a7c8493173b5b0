import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CancelOrder, ConfirmOrder, CreateOrder, FinishOrderCancellation } from '../../../src/contracts/events/saga.ts';
import { eventually } from '../../support/env.ts';
import { checkout, openOrderHarness, type Json, type OrderHarness } from './order-harness.ts';

// The same service on the in-process transport and PGlite (embedded mode): same commands, same answers, same events.
describe('order service embedded (in-process transport + PGlite)', () => {
  let h: OrderHarness;
  before(async () => { h = await openOrderHarness({ stack: 'in-process+pglite' }); });
  after(async () => { await h.close(); });

  test('checkout to doorstep: create, confirm, kitchen over HTTP, courier over delivery.updated', async () => {
    const orderId = 'embedded_order_1';
    const created = await h.call(CreateOrder, checkout(orderId));
    assert.deepEqual(created.result, { orderId, status: 'PAYMENT_PENDING', created: true });
    assert.equal((await h.call(CreateOrder, checkout(orderId))).ok, true, 'a repeat is ok');
    assert.equal((await h.call(CreateOrder, checkout(orderId, { restaurantId: 'rest_b' }))).ok, false, 'other content is refused');
    assert.deepEqual((await h.call(ConfirmOrder, { orderId, paymentId: 'pay_1' })).result, { orderId, status: 'CONFIRMED', confirmed: true });

    const restaurant = await h.token('restaurant', 'rest_a');
    const preparing = await h.request('POST', `/orders/${orderId}/status`, { token: restaurant, body: { status: 'PREPARING' } });
    assert.equal(preparing.status, 200, JSON.stringify(preparing.body));
    await h.deliveryUpdate(orderId, 'PICKED_UP');
    await eventually('out for delivery', async () => (await h.service.findOrder(orderId))?.status === 'OUT_FOR_DELIVERY');
    await h.deliveryUpdate(orderId, 'DELIVERED');
    await eventually('delivered', async () => (await h.service.findOrder(orderId))?.status === 'DELIVERED');

    const order = await h.service.findOrder(orderId);
    assert.deepEqual(order?.history.map((entry) => entry.toStatus), ['PAYMENT_PENDING', 'PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    assert.deepEqual(order?.history.map((entry) => entry.seq), [1, 2, 3, 4, 5, 6, 7]);
    await eventually('every event on the bus', () => h.eventsOf(orderId).length >= 8);
    assert.deepEqual(h.eventsOf(orderId).map((event) => event.type).filter((type) => type !== 'OrderUpdated'), ['OrderCreated', 'OrderConfirmed']);
    assert.deepEqual(h.eventsOf(orderId, 'OrderUpdated').map((event) => (event.payload as Json).status), ['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED']);

    const customer = await h.token('customer', 'cust_a');
    const late = await h.request('POST', `/orders/${orderId}/cancel`, { token: customer, body: { reason: 'too late' } });
    assert.equal(late.status, 409);
  });

  test('cancellation and compensation: CANCELLING → REFUNDED, unknown orders, PAYMENT_FAILED', async () => {
    const paid = 'embedded_order_2';
    await h.call(CreateOrder, checkout(paid));
    await h.call(ConfirmOrder, { orderId: paid, paymentId: 'pay_2' });
    const customer = await h.token('customer', 'cust_a');
    const cancel = await h.request('POST', `/orders/${paid}/cancel`, { token: customer, body: { reason: 'wrong address' } });
    assert.equal(cancel.status, 202);
    await eventually('order.cancelled', () => h.eventsOf(paid, 'OrderCancelled').length === 1);
    assert.deepEqual(h.eventsOf(paid, 'OrderCancelled')[0]?.payload, { orderId: paid, previousStatus: 'CONFIRMED', reason: 'wrong address' });
    const finished = await h.call(FinishOrderCancellation, { orderId: paid, outcome: 'REFUNDED', reason: 'wrong address' });
    assert.deepEqual(finished.result, { orderId: paid, status: 'REFUNDED', finished: true });

    const unknown = await h.call(CancelOrder, { orderId: 'embedded_never_created', outcome: 'CANCELLED', reason: 'deadline' });
    assert.deepEqual(unknown.result, { orderId: 'embedded_never_created', status: null, cancelled: false });
    assert.match(String((await h.call(CreateOrder, checkout('embedded_never_created'))).reason), /^order_abandoned/);

    const declined = 'embedded_order_3';
    await h.call(CreateOrder, checkout(declined));
    const failed = await h.call(CancelOrder, { orderId: declined, outcome: 'PAYMENT_FAILED', reason: 'card_declined' });
    assert.deepEqual(failed.result, { orderId: declined, status: 'PAYMENT_FAILED', cancelled: true });
    const list = await h.request('GET', '/orders?status=PAYMENT_FAILED', { token: customer });
    assert.deepEqual((list.body.orders as Json[]).map((entry) => entry.orderId), [declined]);
  });
});
