import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CancelDelivery, CreateDelivery } from '../../../src/contracts/events/saga.ts';
import type { DeliveryService } from '../../../src/services/delivery/delivery-service.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { openDeliveryHarness } from './delivery-harness.ts';
import type { ServiceHarness } from './service-harness.ts';

type Json = Record<string, unknown>;

describe('delivery commands on kafka+postgres', () => {
  let h: ServiceHarness<DeliveryService>;
  before(async () => { h = await openDeliveryHarness(); });
  after(async () => { await h.close(); });

  const outboxCount = (topic: string, orderId: string): Promise<number> => h.count('outbox', { topic, key: orderId });

  async function createDelivery(orderId: string, address = '1 Main Street'): Promise<{ reply: Json; sagaId: string; eventId: string }> {
    const sent = await h.send(CreateDelivery, { orderId, customerId: 'cust_1', restaurantId: 'resto-1', address });
    return { reply: await h.replyTo(sent.commandId), sagaId: sent.sagaId, eventId: sent.envelope.eventId };
  }

  test('CreateDelivery creates the delivery, publishes delivery.created in the saga\'s trace, and answers ok with its id', async () => {
    const orderId = uniqueName('order');
    const { reply, sagaId, eventId } = await createDelivery(orderId);
    assert.equal(reply.ok, true);
    assert.equal(reply.command, 'CreateDelivery');
    assert.equal(reply.reason, null);
    const deliveryId = (reply.result as Json).deliveryId;
    assert.match(String(deliveryId), /^del_/);
    const delivery = await h.service.findByOrder(orderId);
    assert.equal(delivery?.id, deliveryId);
    assert.equal(delivery?.status, 'CREATED');
    assert.equal(delivery?.customerId, 'cust_1');
    assert.equal(delivery?.address, '1 Main Street');
    const created = await eventually('delivery.created', () => h.events.find((event) => event.key === orderId && event.type === 'DeliveryCreated'));
    assert.deepEqual(created.payload, { deliveryId, orderId, address: '1 Main Street' });
    assert.equal(created.correlationId, sagaId);
    assert.equal(created.causationId, eventId);
    assert.equal(created.source, 'delivery');
  });

  test('the same CreateDelivery again (a saga retry with a new commandId, and a redelivery) creates nothing new and answers the same', async () => {
    const orderId = uniqueName('order');
    const first = await h.send(CreateDelivery, { orderId, customerId: 'cust_1', restaurantId: 'resto-1', address: '2 Main Street' });
    const firstReply = await h.replyTo(first.commandId);
    const retry = await h.send(CreateDelivery, { orderId, customerId: 'cust_1', restaurantId: 'resto-1', address: '2 Main Street' }, { sagaId: first.sagaId });
    const retryReply = await h.replyTo(retry.commandId);
    await h.resend(CreateDelivery.topic, first.envelope);
    // Same order, same partition: once this one is answered, the redelivery before it was handled.
    const last = await h.send(CreateDelivery, { orderId, customerId: 'cust_1', restaurantId: 'resto-1', address: '2 Main Street' }, { sagaId: first.sagaId });
    assert.deepEqual((await h.replyTo(last.commandId)).result, firstReply.result);
    assert.deepEqual(retryReply.result, firstReply.result);
    assert.equal(retryReply.ok, true);
    assert.equal(await h.count('deliveries', { order_id: orderId }), 1);
    assert.equal(await outboxCount('delivery.created', orderId), 1, 'one delivery.created');
    assert.equal(h.replies.filter((reply) => (reply.payload as Json).commandId === first.commandId).length, 1, 'the redelivered command answered once');
  });

  test('an address outside the delivery area is refused with address_not_deliverable; a retry gets the same refusal; nothing is created', async () => {
    const orderId = uniqueName('order');
    const { reply, sagaId } = await createDelivery(orderId, '5 Unreachable Ridge');
    assert.equal(reply.ok, false);
    assert.match(String(reply.reason), /^address_not_deliverable: 5 Unreachable Ridge/);
    assert.deepEqual(reply.result, {});
    const retry = await h.send(CreateDelivery, { orderId, customerId: 'cust_1', restaurantId: 'resto-1', address: '5 Unreachable Ridge' }, { sagaId });
    const retryReply = await h.replyTo(retry.commandId);
    assert.equal(retryReply.ok, false);
    assert.equal(retryReply.reason, reply.reason);
    assert.equal(await h.service.findByOrder(orderId), null);
    assert.equal(await outboxCount('delivery.created', orderId), 0);
  });

  test('CancelDelivery of a created delivery cancels it (shipped: false), publishes delivery.updated, and a repeat changes nothing', async () => {
    const orderId = uniqueName('order');
    await createDelivery(orderId);
    const cancel = await h.send(CancelDelivery, { orderId, reason: 'customer cancelled' });
    const reply = await h.replyTo(cancel.commandId);
    assert.equal(reply.ok, true);
    assert.deepEqual(reply.result, { shipped: false });
    const delivery = await h.service.findByOrder(orderId);
    assert.equal(delivery?.status, 'CANCELLED');
    assert.equal(delivery?.cancelReason, 'customer cancelled');
    assert.deepEqual(delivery?.history.map((entry) => entry.status), ['CREATED', 'CANCELLED']);
    const updated = await eventually('delivery.updated', () => h.events.find((event) => event.key === orderId && event.type === 'DeliveryUpdated'));
    assert.deepEqual(updated.payload, { deliveryId: delivery?.id, orderId, status: 'CANCELLED', courierId: null });
    const again = await h.send(CancelDelivery, { orderId, reason: 'customer cancelled' }, { sagaId: cancel.sagaId });
    assert.deepEqual((await h.replyTo(again.commandId)).result, { shipped: false });
    assert.equal(await outboxCount('delivery.updated', orderId), 1);
  });

  test('CancelDelivery after pick-up answers shipped: true and changes nothing', async () => {
    const orderId = uniqueName('order');
    const { reply } = await createDelivery(orderId);
    const deliveryId = String((reply.result as Json).deliveryId);
    await h.service.app.updateStatus(deliveryId, { status: 'COURIER_ASSIGNED', courierId: 'courier_1' });
    await h.service.app.updateStatus(deliveryId, { status: 'PICKED_UP', courierId: 'courier_1' });
    const cancel = await h.send(CancelDelivery, { orderId, reason: 'too late' });
    const cancelReply = await h.replyTo(cancel.commandId);
    assert.equal(cancelReply.ok, true);
    assert.deepEqual(cancelReply.result, { shipped: true });
    const delivery = await h.service.findByOrder(orderId);
    assert.equal(delivery?.status, 'PICKED_UP');
    assert.equal(delivery?.version, 2);
  });

  test('CancelDelivery of an assigned delivery cancels it and keeps the courier', async () => {
    const orderId = uniqueName('order');
    const { reply } = await createDelivery(orderId);
    await h.service.app.updateStatus(String((reply.result as Json).deliveryId), { status: 'COURIER_ASSIGNED', courierId: 'courier_7' });
    const cancel = await h.send(CancelDelivery, { orderId, reason: 'restaurant closed' });
    assert.deepEqual((await h.replyTo(cancel.commandId)).result, { shipped: false });
    const delivery = await h.service.findByOrder(orderId);
    assert.equal(delivery?.status, 'CANCELLED');
    assert.equal(delivery?.courierId, 'courier_7');
  });

  test('CancelDelivery with no delivery answers shipped: false, and a late CreateDelivery for that order is refused', async () => {
    const orderId = uniqueName('order');
    const cancel = await h.send(CancelDelivery, { orderId, reason: 'customer cancelled' });
    const reply = await h.replyTo(cancel.commandId);
    assert.equal(reply.ok, true);
    assert.deepEqual(reply.result, { shipped: false });
    const { reply: late } = await createDelivery(orderId);
    assert.equal(late.ok, false);
    assert.match(String(late.reason), /^order_cancelled:/);
    assert.equal(await h.service.findByOrder(orderId), null);
  });
});
