import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SendNotification } from '../../../src/contracts/events/saga.ts';
import { claimNotification, recordNotification } from '../../../src/services/notification/application/notification-repository.ts';
import type { NotificationService } from '../../../src/services/notification/notification-service.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import type { ServiceHarness } from '../delivery/service-harness.ts';
import { openNotificationHarness, RecordingChannel } from './notification-harness.ts';

type Json = Record<string, unknown>;

describe('notification service on kafka+postgres', () => {
  const channel = new RecordingChannel();
  let h: ServiceHarness<NotificationService>;
  before(async () => { h = await openNotificationHarness({ channel }); });
  after(async () => { await h.close(); });

  const confirmation = (orderId: string, customerId = 'cust_1') =>
    ({ orderId, customerId, kind: 'order-confirmed' as const, message: `Your order ${orderId} is confirmed.` });

  test('a command delivered 3 times (a redelivery and a saga retry) records one notification and sends it once', async () => {
    const orderId = uniqueName('order');
    const first = await h.send(SendNotification, confirmation(orderId));
    await h.resend(SendNotification.topic, first.envelope);
    const retry = await h.send(SendNotification, confirmation(orderId), { sagaId: first.sagaId });
    // Same order, same partition: the retry's reply comes after the redelivery was handled.
    const [firstReply, retryReply] = [await h.replyTo(first.commandId), await h.replyTo(retry.commandId)];
    assert.equal(firstReply.ok, true);
    assert.equal(firstReply.command, 'SendNotification');
    const notificationId = (firstReply.result as Json).notificationId;
    assert.match(String(notificationId), /^ntf_/);
    assert.deepEqual(retryReply, { ...retryReply, ok: true, result: { notificationId } });
    assert.equal(h.replies.filter((reply) => (reply.payload as Json).commandId === first.commandId).length, 1);

    const [sent] = await eventually('the notification sent', async () => {
      const found = await h.service.findByOrder(orderId);
      return found[0]?.status === 'sent' && found;
    });
    assert.equal(sent?.id, notificationId);
    assert.equal(sent?.attempts, 1);
    assert.equal(sent?.channel, 'test');
    assert.ok(sent?.sentAt);
    // The retry loop and a direct dispatch find nothing more to do.
    await h.service.dispatcher.dispatchDue();
    assert.equal(await h.service.dispatcher.dispatch(String(notificationId)), false);
    assert.equal(channel.callsFor(orderId).length, 1);
    assert.deepEqual(channel.callsFor(orderId)[0], {
      id: notificationId, orderId, customerId: 'cust_1', kind: 'order-confirmed', message: `Your order ${orderId} is confirmed.`, createdAt: sent?.createdAt,
    });
    assert.equal(await h.count('notifications', { order_id: orderId }), 1);
  });

  test('another kind for the same order is another notification', async () => {
    const orderId = uniqueName('order');
    const confirmed = await h.send(SendNotification, confirmation(orderId));
    const refunded = await h.send(SendNotification, { ...confirmation(orderId), kind: 'order-refunded', message: 'Refunded.' });
    const ids = [(await h.replyTo(confirmed.commandId)).result, (await h.replyTo(refunded.commandId)).result].map((result) => (result as Json).notificationId);
    assert.notEqual(ids[0], ids[1]);
    await eventually('both sent', async () => (await h.service.findByOrder(orderId)).filter((n) => n.status === 'sent').length === 2);
    assert.deepEqual(channel.callsFor(orderId).map((call) => call.kind).toSorted(), ['order-confirmed', 'order-refunded']);
  });

  test('a failing channel is retried with backoff, then the notification is marked failed; the saga got its ok at once', async () => {
    const orderId = uniqueName('order');
    channel.failures.set(orderId, Number.POSITIVE_INFINITY);
    const sent = await h.send(SendNotification, confirmation(orderId));
    assert.equal((await h.replyTo(sent.commandId)).ok, true);
    const [failed] = await eventually('marked failed', async () => {
      const found = await h.service.findByOrder(orderId);
      return found[0]?.status === 'failed' && found;
    });
    assert.equal(failed?.attempts, 3);
    assert.match(String(failed?.lastError), /test channel refused/);
    assert.equal(failed?.sentAt, null);
    await h.service.dispatcher.dispatchDue();
    assert.equal(channel.callsFor(orderId).length, 3, 'exactly maxAttempts sends, none after failed');
  });

  test('a channel that fails twice then accepts: sent on the third attempt', async () => {
    const orderId = uniqueName('order');
    channel.failures.set(orderId, 2);
    const sent = await h.send(SendNotification, confirmation(orderId));
    await h.replyTo(sent.commandId);
    const [done] = await eventually('sent after retries', async () => {
      const found = await h.service.findByOrder(orderId);
      return found[0]?.status === 'sent' && found;
    });
    assert.equal(done?.attempts, 3);
    assert.equal(done?.lastError, null);
    assert.equal(channel.callsFor(orderId).length, 3);
  });

  test('a send abandoned mid-way (its sender died) is sent again once its claim lease runs out', async () => {
    const orderId = uniqueName('order');
    // A dispatcher claimed it and then died: nobody may take it until the lease ends. Recorded and
    // claimed in one transaction, so the service's retry loop cannot take it first.
    const { id, claimed } = await h.database.db.transaction().execute(async (trx) => {
      const recorded = await recordNotification(trx, h.schema, { ...confirmation(orderId), channel: 'test', correlationId: 'saga-crashed' });
      return { id: recorded.id, claimed: await claimNotification(trx, h.schema, recorded.id, 300) };
    });
    assert.ok(claimed);
    assert.equal(await h.service.dispatcher.dispatch(id), false);
    const [sent] = await eventually('sent by the retry loop', async () => {
      const found = await h.service.findByOrder(orderId);
      return found[0]?.status === 'sent' && found;
    });
    assert.equal(sent?.attempts, 2, 'the abandoned claim counts as an attempt');
    assert.equal(channel.callsFor(orderId).length, 1);
  });

  test('GET /notifications: a customer sees their own, an admin any, another customer nothing, restaurants and couriers are refused; auth and validation apply', async () => {
    const orderId = uniqueName('order');
    const sent = await h.send(SendNotification, confirmation(orderId, 'cust_owner'));
    await h.replyTo(sent.commandId);
    const [owner, stranger, admin, restaurant, courier] = await Promise.all([
      h.token('customer', 'cust_owner'), h.token('customer', 'cust_other'), h.token('admin', 'admin_1'), h.token('restaurant', 'resto_1'), h.token('courier', 'courier_1'),
    ]);
    for (const token of [owner, admin]) {
      const answer = await h.request('GET', `/notifications?orderId=${orderId}`, { token });
      assert.equal(answer.status, 200);
      const notifications = answer.body.notifications as Json[];
      assert.equal(notifications.length, 1);
      assert.equal(notifications[0]?.kind, 'order-confirmed');
      assert.equal(notifications[0]?.customerId, 'cust_owner');
    }
    assert.deepEqual((await h.request('GET', `/notifications?orderId=${orderId}`, { token: stranger })).body, { notifications: [] });
    // A notice is the customer's own mail: staff other than admin never read it (docs/architecture.md#access).
    for (const token of [restaurant, courier]) assert.equal((await h.request('GET', `/notifications?orderId=${orderId}`, { token })).status, 403);
    assert.equal((await h.request('GET', `/notifications?orderId=${orderId}`)).status, 401);
    assert.equal((await h.request('GET', '/notifications', { token: admin })).status, 400);
    assert.equal((await h.request('GET', `/notifications?orderId=${orderId}&extra=1`, { token: admin })).status, 400);
  });
});
