import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfirmOrder, CreateOrder } from '../../../src/contracts/events/saga.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { checkout, openOrderHarness, type Json, type OrderHarness } from './order-harness.ts';

describe('order HTTP API on kafka+postgres', () => {
  let h: OrderHarness;
  // Customers and restaurants unique to this run, so list assertions see only this file's orders.
  const alice = uniqueName('alice');
  const bob = uniqueName('bob');
  const kitchen = uniqueName('kitchen');
  const tokens: Record<'alice' | 'bob' | 'kitchen' | 'otherKitchen' | 'courier' | 'admin', string> = {
    alice: '', bob: '', kitchen: '', otherKitchen: '', courier: '', admin: '',
  };

  before(async () => {
    h = await openOrderHarness();
    tokens.alice = await h.token('customer', alice);
    tokens.bob = await h.token('customer', bob);
    tokens.kitchen = await h.token('restaurant', kitchen);
    tokens.otherKitchen = await h.token('restaurant', uniqueName('elsewhere'));
    tokens.courier = await h.token('courier', 'courier_1');
    tokens.admin = await h.token('admin', 'ops');
  });
  after(async () => { await h.close(); });

  async function order(customerId: string, confirm: boolean): Promise<string> {
    const orderId = uniqueName('ord');
    assert.equal((await h.call(CreateOrder, checkout(orderId, { customerId, restaurantId: kitchen }))).ok, true);
    if (confirm) assert.equal((await h.call(ConfirmOrder, { orderId, paymentId: `pay_${orderId}` })).ok, true);
    return orderId;
  }

  test('GET /orders/:id: the owner, its restaurant and admins see the order with its history; another customer or restaurant gets 404, a courier 403; no token 401', async () => {
    const orderId = await order(alice, true);
    const own = await h.request('GET', `/orders/${orderId}`, { token: tokens.alice });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.orderId, orderId);
    assert.equal(own.body.status, 'CONFIRMED');
    assert.deepEqual(own.body.total, { amount: 2_899, currency: 'EUR' });
    assert.deepEqual((own.body.history as Json[]).map((entry) => [entry.seq, entry.fromStatus, entry.toStatus]), [
      [1, null, 'PAYMENT_PENDING'], [2, 'PAYMENT_PENDING', 'PENDING'], [3, 'PENDING', 'CONFIRMED'],
    ]);
    for (const token of [tokens.kitchen, tokens.admin]) {
      assert.equal((await h.request('GET', `/orders/${orderId}`, { token })).status, 200);
    }
    assert.equal((await h.request('GET', `/orders/${orderId}`, { token: tokens.otherKitchen })).status, 404, 'another restaurant\'s order looks like none');
    assert.equal((await h.request('GET', `/orders/${orderId}`, { token: tokens.courier })).status, 403, 'couriers work from deliveries');
    const foreign = await h.request('GET', `/orders/${orderId}`, { token: tokens.bob });
    assert.equal(foreign.status, 404);
    assert.equal((foreign.body.error as Json).code, 'not_found');
    assert.equal((await h.request('GET', `/orders/${uniqueName('ord')}`, { token: tokens.admin })).status, 404);
    const anonymous = await h.request('GET', `/orders/${orderId}`);
    assert.equal(anonymous.status, 401);
    assert.equal((await h.request('GET', '/orders/not%20an%20id', { token: tokens.admin })).status, 400);
  });

  test('GET /orders: a customer sees only their own orders; staff see all and filter by status', async () => {
    const alices = [await order(alice, true), await order(alice, false)];
    const bobs = await order(bob, true);
    const mine = await h.request('GET', '/orders', { token: tokens.alice });
    assert.equal(mine.status, 200);
    const mineIds = (mine.body.orders as Json[]).map((entry) => entry.orderId);
    for (const id of alices) assert.ok(mineIds.includes(id));
    assert.ok(!mineIds.includes(bobs));
    assert.ok((mine.body.orders as Json[]).every((entry) => entry.customerId === alice));

    const pending = await h.request('GET', '/orders?status=PAYMENT_PENDING&limit=500', { token: tokens.admin });
    assert.equal(pending.status, 200);
    const pendingIds = (pending.body.orders as Json[]).map((entry) => entry.orderId);
    assert.ok(pendingIds.includes(alices[1]));
    assert.ok(!pendingIds.includes(alices[0]));
    assert.ok((pending.body.orders as Json[]).every((entry) => entry.status === 'PAYMENT_PENDING'));
    const confirmed = await h.request('GET', '/orders?status=CONFIRMED', { token: tokens.kitchen });
    assert.ok((confirmed.body.orders as Json[]).some((entry) => entry.orderId === bobs), 'staff see other customers\' orders');
    const elsewhere = await h.request('GET', '/orders?status=CONFIRMED', { token: tokens.otherKitchen });
    assert.equal(elsewhere.status, 200);
    assert.ok(!(elsewhere.body.orders as Json[]).some((entry) => entry.orderId === bobs), 'another restaurant does not list this kitchen\'s orders');

    assert.equal((await h.request('GET', '/orders?status=LOST', { token: tokens.admin })).status, 400);
    assert.equal((await h.request('GET', '/orders?limit=0', { token: tokens.admin })).status, 400);
    assert.equal((await h.request('GET', '/orders?customer=x', { token: tokens.admin })).status, 400);
  });

  test('POST /orders/:id/status: the restaurant sets PREPARING (order.updated on the bus); a customer cannot; illegal steps are 409 and write nothing', async () => {
    const orderId = await order(alice, true);
    const byCustomer = await h.request('POST', `/orders/${orderId}/status`, { token: tokens.alice, body: { status: 'PREPARING' } });
    assert.equal(byCustomer.status, 403);
    assert.equal((byCustomer.body.error as Json).code, 'forbidden');
    const byOtherRestaurant = await h.request('POST', `/orders/${orderId}/status`, { token: tokens.otherKitchen, body: { status: 'PREPARING' } });
    assert.equal(byOtherRestaurant.status, 404);
    const skip = await h.request('POST', `/orders/${orderId}/status`, { token: tokens.kitchen, body: { status: 'READY_FOR_PICKUP' } });
    assert.equal(skip.status, 409);
    assert.equal((skip.body.error as Json).code, 'illegal_transition');
    assert.deepEqual((skip.body.error as Json).details, { status: 'CONFIRMED' });
    for (const body of [{ status: 'DELIVERED' }, { status: 'PREPARING', extra: 1 }, { status: 'PREPARING', reason: '' }, {}]) {
      const bad = await h.request('POST', `/orders/${orderId}/status`, { token: tokens.kitchen, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal((bad.body.error as Json).code, 'invalid_request');
    }
    assert.equal((await h.service.findOrder(orderId))?.history.length, 3, 'nothing written by refused requests');

    const preparing = await h.request('POST', `/orders/${orderId}/status`, { token: tokens.kitchen, body: { status: 'PREPARING', reason: 'chef on it' } });
    assert.equal(preparing.status, 200, JSON.stringify(preparing.body));
    assert.equal(preparing.body.status, 'PREPARING');
    const again = await h.request('POST', `/orders/${orderId}/status`, { token: tokens.kitchen, body: { status: 'PREPARING' } });
    assert.equal(again.status, 200, 'asking for the status it has is a harmless repeat');
    const ready = await h.request('POST', `/orders/${orderId}/status`, { token: tokens.admin, body: { status: 'READY_FOR_PICKUP' } });
    assert.equal(ready.status, 200);
    await eventually('order.updated PREPARING and READY_FOR_PICKUP', () => h.eventsOf(orderId, 'OrderUpdated').length >= 4);
    assert.deepEqual(h.eventsOf(orderId, 'OrderUpdated').slice(2).map((event) => event.payload), [
      { orderId, status: 'PREPARING', previousStatus: 'CONFIRMED', reason: 'chef on it' },
      { orderId, status: 'READY_FOR_PICKUP', previousStatus: 'PREPARING', reason: null },
    ]);
    assert.equal((await h.service.findOrder(orderId))?.history.length, 5);
  });

  test('POST /orders/:id/cancel: the owner cancels a paid order → 202 CANCELLING and order.cancelled on the bus; repeats and strangers are refused', async () => {
    const orderId = await order(alice, true);
    const stranger = await h.request('POST', `/orders/${orderId}/cancel`, { token: tokens.bob, body: { reason: 'mine now' } });
    assert.equal(stranger.status, 404);
    const restaurant = await h.request('POST', `/orders/${orderId}/cancel`, { token: tokens.kitchen, body: { reason: 'no' } });
    assert.equal(restaurant.status, 403);
    assert.equal((await h.request('POST', `/orders/${orderId}/cancel`, { token: tokens.alice, body: {} })).status, 400);
    assert.equal((await h.service.findOrder(orderId))?.status, 'CONFIRMED');

    const cancelled = await h.request('POST', `/orders/${orderId}/cancel`, { token: tokens.alice, body: { reason: 'ordered twice' }, headers: { 'idempotency-key': `cancel-${orderId}` } });
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'CANCELLING');
    assert.equal(cancelled.body.cancelReason, 'ordered twice');
    const replayed = await h.request('POST', `/orders/${orderId}/cancel`, { token: tokens.alice, body: { reason: 'ordered twice' }, headers: { 'idempotency-key': `cancel-${orderId}` } });
    assert.equal(replayed.status, 202);
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
    const twice = await h.request('POST', `/orders/${orderId}/cancel`, { token: tokens.alice, body: { reason: 'ordered twice' } });
    assert.equal(twice.status, 409);
    assert.equal((twice.body.error as Json).code, 'illegal_transition');

    await eventually('order.cancelled on the bus', () => h.eventsOf(orderId, 'OrderCancelled').length > 0);
    assert.deepEqual(h.eventsOf(orderId, 'OrderCancelled').map((event) => event.payload), [{ orderId, previousStatus: 'CONFIRMED', reason: 'ordered twice' }]);
    const update = h.eventsOf(orderId, 'OrderUpdated').at(-1);
    assert.deepEqual(update?.payload, { orderId, status: 'CANCELLING', previousStatus: 'CONFIRMED', reason: 'ordered twice' });
    assert.deepEqual(await h.outboxEventTopics(orderId), ['order.updated', 'order.created', 'order.updated', 'order.confirmed', 'order.updated', 'order.cancelled']);
  });

  test('cancelling an order still waiting for its payment is 409 checkout_in_progress; an admin may cancel any paid order', async () => {
    const unpaid = await order(alice, false);
    const refused = await h.request('POST', `/orders/${unpaid}/cancel`, { token: tokens.alice, body: { reason: 'too slow' } });
    assert.equal(refused.status, 409);
    assert.equal((refused.body.error as Json).code, 'checkout_in_progress');
    assert.equal((await h.service.findOrder(unpaid))?.status, 'PAYMENT_PENDING');

    const paid = await order(bob, true);
    const byAdmin = await h.request('POST', `/orders/${paid}/cancel`, { token: tokens.admin, body: { reason: 'restaurant closed' } });
    assert.equal(byAdmin.status, 202);
    assert.equal(byAdmin.body.status, 'CANCELLING');
    assert.equal((await h.request('POST', `/orders/${uniqueName('ord')}/cancel`, { token: tokens.admin, body: { reason: 'x' } })).status, 404);
  });

  test('the routes are in the OpenAPI document with their tags', async () => {
    const document = await h.request('GET', '/openapi.json', { token: tokens.admin });
    const paths = document.body.paths as Record<string, Record<string, { tags?: string[] }>>;
    for (const [path, method] of [['/orders/{orderId}', 'get'], ['/orders', 'get'], ['/orders/{orderId}/status', 'post'], ['/orders/{orderId}/cancel', 'post']] as const) {
      assert.deepEqual(paths[path]?.[method]?.tags, ['orders'], `${method} ${path}`);
    }
  });
});
