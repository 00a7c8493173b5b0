import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfirmOrder, CreateOrder } from '../../../src/contracts/events/saga.ts';
import { DeliveryUpdated } from '../../../src/contracts/events/delivery.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { checkout, openOrderHarness, type Json, type OrderHarness } from './order-harness.ts';

describe('delivery.updated drives the order on kafka+postgres', () => {
  let h: OrderHarness;
  before(async () => { h = await openOrderHarness(); });
  after(async () => { await h.close(); });

  async function confirmedOrder(): Promise<string> {
    const orderId = uniqueName('ord');
    assert.equal((await h.call(CreateOrder, checkout(orderId))).ok, true);
    assert.equal((await h.call(ConfirmOrder, { orderId, paymentId: `pay_${orderId}` })).ok, true);
    return orderId;
  }

  /** Sends a no-op update after the others on the same key: once it is handled, so is everything before it. */
  async function barrier(orderId: string): Promise<void> {
    const marker = await h.deliveryUpdate(orderId, 'COURIER_ASSIGNED');
    await eventually(`barrier for ${orderId}`, () => h.handled(marker.eventId));
  }

  const transitionsOf = async (orderId: string): Promise<string[]> =>
    ((await h.service.findOrder(orderId))?.history ?? []).map((entry) => `${entry.fromStatus ?? '-'}>${entry.toStatus}`);

  test('PICKED_UP walks a CONFIRMED order through PREPARING and READY_FOR_PICKUP to OUT_FOR_DELIVERY; DELIVERED ends it', async () => {
    const orderId = await confirmedOrder();
    const created = await h.deliveryUpdate(orderId, 'CREATED');
    const assigned = await h.deliveryUpdate(orderId, 'COURIER_ASSIGNED');
    await h.deliveryUpdate(orderId, 'PICKED_UP');
    await eventually('out for delivery', async () => (await h.service.findOrder(orderId))?.status === 'OUT_FOR_DELIVERY');
    assert.ok(await h.handled(created.eventId) && await h.handled(assigned.eventId));
    assert.deepEqual((await transitionsOf(orderId)).slice(3), ['CONFIRMED>PREPARING', 'PREPARING>READY_FOR_PICKUP', 'READY_FOR_PICKUP>OUT_FOR_DELIVERY']);

    const delivered = await h.deliveryUpdate(orderId, 'DELIVERED');
    await eventually('delivered', async () => (await h.service.findOrder(orderId))?.status === 'DELIVERED');
    await eventually('six order.updated on the bus', () => h.eventsOf(orderId, 'OrderUpdated').length >= 6);
    const updates = h.eventsOf(orderId, 'OrderUpdated').map((event) => event.payload as Json);
    assert.deepEqual(updates.map((update) => update.status), ['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    const caused = h.eventsOf(orderId, 'OrderUpdated').find((event) => (event.payload as Json).status === 'DELIVERED');
    assert.equal(caused?.causationId, delivered.eventId, 'each change names the delivery update that caused it');

    // Stale and repeated news: an old PICKED_UP, the same DELIVERED again (new event), the same envelope redelivered.
    await h.deliveryUpdate(orderId, 'PICKED_UP');
    await h.deliveryUpdate(orderId, 'DELIVERED');
    await h.resend(DeliveryUpdated.topic, delivered);
    await barrier(orderId);
    assert.equal((await h.service.findOrder(orderId))?.status, 'DELIVERED');
    assert.equal((await transitionsOf(orderId)).length, 7);
    assert.equal((await h.outboxEventTopics(orderId)).filter((topic) => topic === 'order.updated').length, 6);
  });

  test('DELIVERED straight from CONFIRMED walks every state in between', async () => {
    const orderId = await confirmedOrder();
    await h.deliveryUpdate(orderId, 'DELIVERED');
    await eventually('delivered', async () => (await h.service.findOrder(orderId))?.status === 'DELIVERED');
    assert.deepEqual((await transitionsOf(orderId)).slice(3), ['CONFIRMED>PREPARING', 'PREPARING>READY_FOR_PICKUP', 'READY_FOR_PICKUP>OUT_FOR_DELIVERY', 'OUT_FOR_DELIVERY>DELIVERED']);
  });

  test('an update for a cancelled order, for an unpaid order or for an unknown order changes nothing', async () => {
    const cancelling = await confirmedOrder();
    const customer = await h.token('customer', 'cust_a');
    assert.equal((await h.request('POST', `/orders/${cancelling}/cancel`, { token: customer, body: { reason: 'hungry no more' } })).status, 202);
    await h.deliveryUpdate(cancelling, 'PICKED_UP');
    await h.deliveryUpdate(cancelling, 'DELIVERED');
    await barrier(cancelling);
    assert.equal((await h.service.findOrder(cancelling))?.status, 'CANCELLING');

    const unpaid = uniqueName('ord');
    await h.call(CreateOrder, checkout(unpaid));
    await h.deliveryUpdate(unpaid, 'DELIVERED');
    await barrier(unpaid);
    assert.equal((await h.service.findOrder(unpaid))?.status, 'PAYMENT_PENDING');

    const unknown = uniqueName('ord');
    await h.deliveryUpdate(unknown, 'DELIVERED');
    await barrier(unknown);
    assert.equal(await h.service.findOrder(unknown), null);
    assert.equal(await h.count('orders', 'id', unknown), 0);
  });
});
