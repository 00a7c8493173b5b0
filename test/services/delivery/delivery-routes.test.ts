import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateDelivery } from '../../../src/contracts/events/saga.ts';
import type { DeliveryService } from '../../../src/services/delivery/delivery-service.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { openDeliveryHarness } from './delivery-harness.ts';
import type { ServiceHarness } from './service-harness.ts';

type Json = Record<string, unknown>;

describe('delivery routes on kafka+postgres, with bearer tokens', () => {
  let h: ServiceHarness<DeliveryService>;
  let courier: string;
  let otherCourier: string;
  let admin: string;
  let restaurant: string;
  before(async () => {
    h = await openDeliveryHarness();
    [courier, otherCourier, admin, restaurant] = await Promise.all([
      h.token('courier', 'courier_1'), h.token('courier', 'courier_2'), h.token('admin', 'admin_1'), h.token('restaurant', 'resto_1'),
    ]);
  });
  after(async () => { await h.close(); });

  async function newDelivery(customerId = 'cust_1'): Promise<{ orderId: string; deliveryId: string }> {
    const orderId = uniqueName('order');
    const sent = await h.send(CreateDelivery, { orderId, customerId, restaurantId: 'resto_1', address: '9 Side Street' });
    const reply = await h.replyTo(sent.commandId);
    assert.equal(reply.ok, true);
    return { orderId, deliveryId: String((reply.result as Json).deliveryId) };
  }

  const move = (deliveryId: string, token: string, body: Json, headers?: Record<string, string>) =>
    h.request('POST', `/deliveries/${deliveryId}/status`, { token, body, ...(headers ? { headers } : {}) });

  test('a courier takes the delivery through assigned → picked up → delivered; each step publishes delivery.updated', async () => {
    const { orderId, deliveryId } = await newDelivery();
    for (const status of ['COURIER_ASSIGNED', 'PICKED_UP', 'DELIVERED']) {
      const answer = await move(deliveryId, courier, { status });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.status, status);
      assert.equal(answer.body.courierId, 'courier_1');
    }
    const updates = await eventually('three delivery.updated', () => {
      const seen = h.events.filter((event) => event.key === orderId && event.type === 'DeliveryUpdated');
      return seen.length >= 3 && seen;
    });
    assert.deepEqual(updates.map((event) => (event.payload as Json).status), ['COURIER_ASSIGNED', 'PICKED_UP', 'DELIVERED']);
    assert.deepEqual(updates[0]?.payload, { deliveryId, orderId, status: 'COURIER_ASSIGNED', courierId: 'courier_1' });
    const view = await h.request('GET', `/deliveries/${deliveryId}`, { token: courier });
    assert.deepEqual((view.body.history as Json[]).map((entry) => entry.status), ['CREATED', 'COURIER_ASSIGNED', 'PICKED_UP', 'DELIVERED']);
  });

  test('illegal moves answer 409, unknown deliveries 404, and nothing is written', async () => {
    const { orderId, deliveryId } = await newDelivery();
    const skip = await move(deliveryId, courier, { status: 'DELIVERED' });
    assert.equal(skip.status, 409);
    assert.equal((skip.body.error as Json).code, 'illegal_transition');
    assert.equal(((skip.body.error as Json).details as Json).status, 'CREATED');
    assert.equal((await move('del_missing', courier, { status: 'PICKED_UP' })).status, 404);
    const delivery = await h.service.findByOrder(orderId);
    assert.equal(delivery?.version, 0);
    assert.equal(await h.count('outbox', { key: orderId, topic: 'delivery.updated' }), 0);
  });

  test('only the assigned courier moves it on; a courier cannot act for another', async () => {
    const { orderId, deliveryId } = await newDelivery();
    assert.equal((await move(deliveryId, courier, { status: 'COURIER_ASSIGNED' })).status, 200);
    const stolen = await move(deliveryId, otherCourier, { status: 'PICKED_UP' });
    assert.equal(stolen.status, 404, 'another courier\'s delivery looks like none');
    assert.equal((stolen.body.error as Json).code, 'not_found');
    const impersonated = await move(deliveryId, otherCourier, { status: 'PICKED_UP', courierId: 'courier_1' });
    assert.equal(impersonated.status, 403);
    assert.equal((impersonated.body.error as Json).code, 'forbidden');
    assert.equal((await h.service.findByOrder(orderId))?.status, 'COURIER_ASSIGNED');
  });

  test('an admin names the courier when assigning, and moves on for the assigned one', async () => {
    const { deliveryId } = await newDelivery();
    const missing = await move(deliveryId, admin, { status: 'COURIER_ASSIGNED' });
    assert.equal(missing.status, 400);
    assert.equal((missing.body.error as Json).code, 'courier_required');
    const assigned = await move(deliveryId, admin, { status: 'COURIER_ASSIGNED', courierId: 'courier_2' });
    assert.equal(assigned.status, 200);
    assert.equal(assigned.body.courierId, 'courier_2');
    const picked = await move(deliveryId, admin, { status: 'PICKED_UP' });
    assert.equal(picked.status, 200);
    assert.equal(picked.body.courierId, 'courier_2');
  });

  test('roles: customers and restaurants may not move deliveries; no token is 401; bad bodies are 400', async () => {
    const { deliveryId } = await newDelivery();
    const customer = await h.token('customer', 'cust_1');
    assert.equal((await move(deliveryId, customer, { status: 'COURIER_ASSIGNED' })).status, 403);
    assert.equal((await move(deliveryId, restaurant, { status: 'COURIER_ASSIGNED' })).status, 403);
    assert.equal((await h.request('POST', `/deliveries/${deliveryId}/status`, { body: { status: 'COURIER_ASSIGNED' } })).status, 401);
    for (const body of [{ status: 'CANCELLED' }, { status: 'PICKED_UP', extra: 1 }, {}, { status: 'COURIER_ASSIGNED', courierId: '' }]) {
      const answer = await move(deliveryId, courier, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal((answer.body.error as Json).code, 'invalid_request');
    }
  });

  test('reads: the order\'s customer and restaurant, the assigned courier and admins; an unassigned delivery is open to every courier', async () => {
    const { orderId, deliveryId } = await newDelivery('cust_owner');
    const owner = await h.token('customer', 'cust_owner');
    const stranger = await h.token('customer', 'cust_stranger');
    const otherRestaurant = await h.token('restaurant', 'resto_2');
    const sees = async (token: string): Promise<boolean> => {
      const byId = await h.request('GET', `/deliveries/${deliveryId}`, { token });
      const byOrder = await h.request('GET', `/deliveries?orderId=${orderId}`, { token });
      assert.ok(byId.status === 200 || byId.status === 404, String(byId.status));
      assert.deepEqual((byOrder.body.deliveries as Json[]).length === 1, byId.status === 200, 'the list agrees with the read by id');
      return byId.status === 200;
    };
    for (const token of [courier, otherCourier, restaurant, admin, owner]) assert.equal(await sees(token), true);
    for (const token of [stranger, otherRestaurant]) assert.equal(await sees(token), false);
    assert.equal((await move(deliveryId, courier, { status: 'COURIER_ASSIGNED' })).status, 200);
    assert.equal(await sees(courier), true, 'the assigned courier');
    assert.equal(await sees(otherCourier), false, 'once assigned, it is no other courier\'s');
    assert.deepEqual((await h.request('GET', `/deliveries?orderId=${uniqueName('none')}`, { token: admin })).body, { deliveries: [] });
    assert.equal((await h.request('GET', '/deliveries?orderId=bad%20id', { token: admin })).status, 400);
  });

  test('Idempotency-Key: a repeated status update replays the first answer instead of answering 409', async () => {
    const { orderId, deliveryId } = await newDelivery();
    const key = uniqueName('key');
    const first = await move(deliveryId, courier, { status: 'COURIER_ASSIGNED' }, { 'idempotency-key': key });
    const again = await move(deliveryId, courier, { status: 'COURIER_ASSIGNED' }, { 'idempotency-key': key });
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    assert.equal((await move(deliveryId, courier, { status: 'COURIER_ASSIGNED' })).status, 409, 'without the key it is a new, illegal request');
    assert.equal(await h.count('outbox', { key: orderId, topic: 'delivery.updated' }), 1);
  });
});
