import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SendNotification } from '../../../src/contracts/events/saga.ts';
import { WebhookChannel } from '../../../src/services/notification/channels/webhook-channel.ts';
import type { NotificationService } from '../../../src/services/notification/notification-service.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import type { ServiceHarness } from '../delivery/service-harness.ts';
import { openNotificationHarness } from './notification-harness.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

type Json = Record<string, unknown>;

// Embedded mode: the in-process transport and PGlite, sending through the webhook channel to a local HTTP server.
describe('notification service on the in-process transport and PGlite, through a webhook', () => {
  let receiver: WebhookReceiver;
  let h: ServiceHarness<NotificationService>;
  before(async () => {
    receiver = await startWebhookReceiver();
    h = await openNotificationHarness({ stack: 'in-process+pglite', channel: new WebhookChannel({ url: receiver.url, timeoutMs: 2_000 }) });
  });
  after(async () => {
    await h.close();
    await receiver.close();
  });

  const postsFor = (orderId: string) => receiver.received.filter((entry) => (entry.body as Json).orderId === orderId);

  test('a command repeated with a new commandId is posted once', async () => {
    const orderId = uniqueName('order');
    const payload = { orderId, customerId: 'cust_1', kind: 'payment-failed' as const, message: 'Your payment did not go through.' };
    const first = await h.send(SendNotification, payload);
    const again = await h.send(SendNotification, payload, { sagaId: first.sagaId });
    assert.deepEqual((await h.replyTo(again.commandId)).result, (await h.replyTo(first.commandId)).result);
    await eventually('sent', async () => (await h.service.findByOrder(orderId))[0]?.status === 'sent');
    await h.service.dispatcher.dispatchDue();
    assert.equal(postsFor(orderId).length, 1);
    assert.equal((postsFor(orderId)[0]?.body as Json).message, 'Your payment did not go through.');
  });

  test('a 500 from the receiver is retried; the re-send carries the same Idempotency-Key', async () => {
    const orderId = uniqueName('order');
    receiver.answers.push(500);
    const sent = await h.send(SendNotification, { orderId, customerId: 'cust_1', kind: 'order-confirmed', message: 'Confirmed.' });
    const notificationId = ((await h.replyTo(sent.commandId)).result as Json).notificationId;
    const [done] = await eventually('sent after a retry', async () => {
      const found = await h.service.findByOrder(orderId);
      return found[0]?.status === 'sent' && found;
    });
    assert.equal(done?.attempts, 2);
    assert.equal(done?.channel, 'webhook');
    assert.deepEqual(postsFor(orderId).map((post) => post.headers['idempotency-key']), [notificationId, notificationId]);
  });
});
