import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CancelOrder, ConfirmOrder, CreateOrder, FinishOrderCancellation } from '../../../src/contracts/events/saga.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { checkout, openOrderHarness, type Json, type OrderHarness } from './order-harness.ts';

describe('order service saga commands on kafka+postgres', () => {
  let h: OrderHarness;
  before(async () => { h = await openOrderHarness(); });
  after(async () => { await h.close(); });

  const newOrderId = (): string => uniqueName('ord');
  const statusOf = async (orderId: string): Promise<string | undefined> => (await h.service.findOrder(orderId))?.status;

  async function confirmedOrder(): Promise<string> {
    const orderId = newOrderId();
    assert.equal((await h.call(CreateOrder, checkout(orderId))).ok, true);
    assert.equal((await h.call(ConfirmOrder, { orderId, paymentId: `pay_${orderId}` })).ok, true);
    return orderId;
  }

  test('CreateOrder: PAYMENT_PENDING with its creation in the history; the same order again (a saga retry) is ok and writes nothing', async () => {
    const orderId = newOrderId();
    const first = await h.send(CreateOrder, checkout(orderId));
    const reply = await h.replyTo(first.commandId);
    assert.equal(reply.ok, true, String(reply.reason));
    assert.equal(reply.command, 'CreateOrder');
    assert.equal(reply.sagaId, first.sagaId);
    assert.deepEqual(reply.result, { orderId, status: 'PAYMENT_PENDING', created: true });
    const order = await h.service.findOrder(orderId);
    assert.ok(order);
    assert.equal(order.status, 'PAYMENT_PENDING');
    assert.deepEqual(order.total, { amount: 2_899, currency: 'EUR' });
    assert.deepEqual(order.items, checkout(orderId).items);
    assert.deepEqual(order.history.map((entry) => [entry.seq, entry.fromStatus, entry.toStatus]), [[1, null, 'PAYMENT_PENDING']]);

    const again = await h.call(CreateOrder, checkout(orderId), { sagaId: first.sagaId });
    assert.equal(again.ok, true);
    assert.deepEqual(again.result, { orderId, status: 'PAYMENT_PENDING', created: false });
    assert.equal(await h.count('orders', 'id', orderId), 1);
    assert.equal(await h.count('order_status_history', 'order_id', orderId), 1);
  });

  test('CreateOrder whose total is not Σ quantity × unitPrice in one currency is refused invalid_total and writes nothing', async () => {
    const wrongSum = newOrderId();
    const refused = await h.call(CreateOrder, checkout(wrongSum, { total: { amount: 2_900, currency: 'EUR' } }));
    assert.equal(refused.ok, false);
    assert.match(String(refused.reason), /^invalid_total: /);
    assert.equal((refused.result as Json).code, 'invalid_total');
    assert.equal(await h.count('orders', 'id', wrongSum), 0);

    const mixed = newOrderId();
    const items = checkout(mixed).items.map((item, index) => index === 0 ? { ...item, unitPrice: { amount: 1_250, currency: 'USD' as const } } : item);
    const refusedMixed = await h.call(CreateOrder, checkout(mixed, { items }));
    assert.equal(refusedMixed.ok, false);
    assert.match(String(refusedMixed.reason), /^invalid_total: .*USD/);
    assert.equal(await h.count('orders', 'id', mixed), 0);
  });

  test('CreateOrder with other content under an existing order id is refused order_exists; the order is untouched', async () => {
    const orderId = newOrderId();
    assert.equal((await h.call(CreateOrder, checkout(orderId))).ok, true);
    const other = await h.call(CreateOrder, checkout(orderId, { deliveryAddress: '99 Elsewhere Road' }));
    assert.equal(other.ok, false);
    assert.match(String(other.reason), /^order_exists: /);
    assert.equal((await h.service.findOrder(orderId))?.deliveryAddress, '1 Harbour Street');
  });

  test('ConfirmOrder: PAYMENT_PENDING → PENDING → CONFIRMED with order.created and order.confirmed; a retry answers ok and publishes nothing more', async () => {
    const orderId = newOrderId();
    const created = await h.send(CreateOrder, checkout(orderId));
    await h.replyTo(created.commandId);
    const confirm = await h.call(ConfirmOrder, { orderId, paymentId: 'pay_123' }, { sagaId: created.sagaId });
    assert.equal(confirm.ok, true, String(confirm.reason));
    assert.deepEqual(confirm.result, { orderId, status: 'CONFIRMED', confirmed: true });

    await eventually('four order events', () => h.eventsOf(orderId).length >= 4);
    const updates = h.eventsOf(orderId, 'OrderUpdated').map((event) => event.payload as Json);
    assert.deepEqual(updates.map((update) => [update.previousStatus, update.status, update.reason]), [['PAYMENT_PENDING', 'PENDING', null], ['PENDING', 'CONFIRMED', null]]);
    const orderCreated = h.eventsOf(orderId, 'OrderCreated')[0];
    assert.ok(orderCreated);
    assert.deepEqual(orderCreated.payload, { orderId, customerId: 'cust_a', restaurantId: 'rest_a', items: checkout(orderId).items, total: { amount: 2_899, currency: 'EUR' } });
    const confirmed = h.eventsOf(orderId, 'OrderConfirmed')[0];
    assert.deepEqual(confirmed?.payload, { orderId, customerId: 'cust_a', paymentId: 'pay_123', total: { amount: 2_899, currency: 'EUR' }, deliveryAddress: '1 Harbour Street' });
    for (const event of h.eventsOf(orderId)) {
      assert.equal(event.source, 'order');
      assert.equal(event.correlationId, created.sagaId, 'every event carries the saga id');
    }
    const order = await h.service.findOrder(orderId);
    assert.equal(order?.paymentId, 'pay_123');
    assert.deepEqual(order?.history.map((entry) => entry.toStatus), ['PAYMENT_PENDING', 'PENDING', 'CONFIRMED']);

    const retry = await h.call(ConfirmOrder, { orderId, paymentId: 'pay_123' }, { sagaId: created.sagaId });
    assert.equal(retry.ok, true);
    assert.deepEqual(retry.result, { orderId, status: 'CONFIRMED', confirmed: false });
    const otherPayment = await h.call(ConfirmOrder, { orderId, paymentId: 'pay_999' });
    assert.equal(otherPayment.ok, false);
    assert.match(String(otherPayment.reason), /^payment_mismatch: /);
    // A later command on the same key is the barrier: once it is answered, the retries above were handled and wrote no event.
    await h.call(FinishOrderCancellation, { orderId, outcome: 'REFUNDED', reason: 'barrier' });
    assert.deepEqual(await h.outboxEventTopics(orderId), ['order.updated', 'order.created', 'order.updated', 'order.confirmed']);
    assert.equal((await h.service.findOrder(orderId))?.history.length, 3);
  });

  test('ConfirmOrder for an unknown order is refused order_not_found', async () => {
    const reply = await h.call(ConfirmOrder, { orderId: newOrderId(), paymentId: 'pay_1' });
    assert.equal(reply.ok, false);
    assert.match(String(reply.reason), /^order_not_found: /);
  });

  test('CancelOrder PAYMENT_FAILED: PAYMENT_PENDING → PAYMENT_FAILED with order.cancelled; a repeat is ok and moves nothing', async () => {
    const orderId = newOrderId();
    await h.call(CreateOrder, checkout(orderId));
    const reply = await h.call(CancelOrder, { orderId, outcome: 'PAYMENT_FAILED', reason: 'card_declined: insufficient funds' });
    assert.equal(reply.ok, true, String(reply.reason));
    assert.deepEqual(reply.result, { orderId, status: 'PAYMENT_FAILED', cancelled: true });
    await eventually('order.updated and order.cancelled', () => h.eventsOf(orderId).length >= 2);
    assert.deepEqual(h.eventsOf(orderId, 'OrderCancelled').map((event) => event.payload), [{ orderId, previousStatus: 'PAYMENT_PENDING', reason: 'card_declined: insufficient funds' }]);
    assert.deepEqual(h.eventsOf(orderId, 'OrderUpdated').map((event) => event.payload), [{ orderId, status: 'PAYMENT_FAILED', previousStatus: 'PAYMENT_PENDING', reason: 'card_declined: insufficient funds' }]);
    assert.equal((await h.service.findOrder(orderId))?.cancelReason, 'card_declined: insufficient funds');

    const repeat = await h.call(CancelOrder, { orderId, outcome: 'PAYMENT_FAILED', reason: 'again' });
    assert.deepEqual(repeat.result, { orderId, status: 'PAYMENT_FAILED', cancelled: false });
    const late = await h.call(ConfirmOrder, { orderId, paymentId: 'pay_late' });
    assert.equal(late.ok, false, 'a failed order is never confirmed');
    assert.match(String(late.reason), /^illegal_transition: /);
    assert.deepEqual(await h.outboxEventTopics(orderId), ['order.updated', 'order.cancelled']);
  });

  test('CancelOrder CANCELLED on a CONFIRMED order (checkout compensation) → CANCELLED directly', async () => {
    const orderId = await confirmedOrder();
    const reply = await h.call(CancelOrder, { orderId, outcome: 'CANCELLED', reason: 'delivery impossible' });
    assert.equal(reply.ok, true, String(reply.reason));
    assert.deepEqual(reply.result, { orderId, status: 'CANCELLED', cancelled: true });
    const order = await h.service.findOrder(orderId);
    assert.deepEqual(order?.history.map((entry) => `${entry.fromStatus ?? '-'}>${entry.toStatus}`), ['->PAYMENT_PENDING', 'PAYMENT_PENDING>PENDING', 'PENDING>CONFIRMED', 'CONFIRMED>CANCELLED']);
    await eventually('order.cancelled', () => h.eventsOf(orderId, 'OrderCancelled').length === 1);
    assert.deepEqual(h.eventsOf(orderId, 'OrderCancelled')[0]?.payload, { orderId, previousStatus: 'CONFIRMED', reason: 'delivery impossible' });
  });

  test('CancelOrder for an order never created is ok (cancelled: false), and a late CreateOrder cannot bring it back', async () => {
    const orderId = newOrderId();
    const reply = await h.call(CancelOrder, { orderId, outcome: 'CANCELLED', reason: 'payment deadline passed' });
    assert.equal(reply.ok, true);
    assert.deepEqual(reply.result, { orderId, status: null, cancelled: false });
    const late = await h.call(CreateOrder, checkout(orderId));
    assert.equal(late.ok, false);
    assert.match(String(late.reason), /^order_abandoned: /);
    assert.equal(await h.count('orders', 'id', orderId), 0);
  });

  test('a redelivered command (same eventId) is handled and answered once', async () => {
    const orderId = newOrderId();
    await h.call(CreateOrder, checkout(orderId));
    const confirm = await h.send(ConfirmOrder, { orderId, paymentId: 'pay_1' });
    await h.replyTo(confirm.commandId);
    await h.resend(ConfirmOrder.topic, confirm.envelope);
    // Same key, same partition, sent after: once it is answered, the redelivery was handled before it.
    await h.call(CancelOrder, { orderId, outcome: 'PAYMENT_FAILED', reason: 'barrier (refused: the order is paid)' });
    assert.equal(h.repliesTo(confirm.commandId).length, 1);
    assert.equal((await h.service.findOrder(orderId))?.history.length, 3);
  });

  test('FinishOrderCancellation: CANCELLING → REFUNDED; a repeat is ok; an order not being cancelled is refused', async () => {
    const orderId = await confirmedOrder();
    const customer = await h.token('customer', 'cust_a');
    const cancel = await h.request('POST', `/orders/${orderId}/cancel`, { token: customer, body: { reason: 'changed my mind' } });
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    assert.equal(cancel.body.status, 'CANCELLING');

    const finish = await h.call(FinishOrderCancellation, { orderId, outcome: 'REFUNDED', reason: 'changed my mind' });
    assert.equal(finish.ok, true, String(finish.reason));
    assert.deepEqual(finish.result, { orderId, status: 'REFUNDED', finished: true });
    const repeat = await h.call(FinishOrderCancellation, { orderId, outcome: 'REFUNDED', reason: 'changed my mind' });
    assert.deepEqual(repeat.result, { orderId, status: 'REFUNDED', finished: false });

    const live = await confirmedOrder();
    const refused = await h.call(FinishOrderCancellation, { orderId: live, outcome: 'CANCELLED', reason: 'no' });
    assert.equal(refused.ok, false);
    assert.match(String(refused.reason), /^illegal_transition: /);
    assert.equal(await statusOf(live), 'CONFIRMED');
    assert.deepEqual((await h.outboxEventTopics(orderId)).filter((topic) => topic === 'order.cancelled'), ['order.cancelled'], 'order.cancelled once: entering CANCELLING');
  });

  test('CancelOrder CANCELLED on a CANCELLING order closes it; on a PREPARING order it goes through CANCELLING', async () => {
    const cancelling = await confirmedOrder();
    const customer = await h.token('customer', 'cust_a');
    assert.equal((await h.request('POST', `/orders/${cancelling}/cancel`, { token: customer, body: { reason: 'late' } })).status, 202);
    const closed = await h.call(CancelOrder, { orderId: cancelling, outcome: 'CANCELLED', reason: 'checkout failed' });
    assert.deepEqual(closed.result, { orderId: cancelling, status: 'CANCELLED', cancelled: true });

    const preparing = await confirmedOrder();
    const restaurant = await h.token('restaurant', 'rest_a');
    assert.equal((await h.request('POST', `/orders/${preparing}/status`, { token: restaurant, body: { status: 'PREPARING' } })).status, 200);
    const cancelled = await h.call(CancelOrder, { orderId: preparing, outcome: 'CANCELLED', reason: 'kitchen closed' });
    assert.deepEqual(cancelled.result, { orderId: preparing, status: 'CANCELLED', cancelled: true });
    assert.deepEqual((await h.service.findOrder(preparing))?.history.slice(-2).map((entry) => entry.toStatus), ['CANCELLING', 'CANCELLED']);
    await eventually('order.cancelled once, from PREPARING', () => h.eventsOf(preparing, 'OrderCancelled').length === 1);
    assert.equal((h.eventsOf(preparing, 'OrderCancelled')[0]?.payload as Json).previousStatus, 'PREPARING');

    const delivered = await confirmedOrder();
    const dropped = await h.deliveryUpdate(delivered, 'DELIVERED');
    await eventually('delivered', async () => await statusOf(delivered) === 'DELIVERED');
    assert.ok(await h.handled(dropped.eventId));
    const tooLate = await h.call(CancelOrder, { orderId: delivered, outcome: 'CANCELLED', reason: 'too late' });
    assert.equal(tooLate.ok, false);
    assert.match(String(tooLate.reason), /^illegal_transition: /);
  });
});
