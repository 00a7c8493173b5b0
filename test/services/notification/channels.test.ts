import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LogChannel } from '../../../src/services/notification/channels/log-channel.ts';
import type { OutgoingNotification } from '../../../src/services/notification/channels/notification-channel.ts';
import { WebhookChannel } from '../../../src/services/notification/channels/webhook-channel.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { channelFor } from '../../../src/services/notification/notification-config.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const notification = (id: string): OutgoingNotification => ({
  id, orderId: 'order_1', customerId: 'cust_1', kind: 'order-confirmed', message: 'Your order is confirmed.', createdAt: '2025-01-01T00:00:00.000Z',
});

describe('log channel', () => {
  test('without a file, writes one JSON line per notification through the logger', async () => {
    const lines: string[] = [];
    const channel = new LogChannel({ log: (line) => lines.push(line) });
    assert.equal(channel.name, 'log');
    await channel.send(notification('ntf_1'));
    await channel.send(notification('ntf_2'));
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(first.id, 'ntf_1');
    assert.equal(first.message, 'Your order is confirmed.');
    assert.equal(first.kind, 'order-confirmed');
    assert.match(String(first.sentAt), /^\d{4}-\d{2}-\d{2}T/);
  });

  test('with a file, appends one JSON line per notification (and nothing to the logger)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'paysaga-notify-'));
    try {
      const filePath = join(directory, 'notifications.jsonl');
      const logged: string[] = [];
      const channel = new LogChannel({ filePath, log: (line) => logged.push(line) });
      await Promise.all(['ntf_a', 'ntf_b', 'ntf_c'].map((id) => channel.send(notification(id))));
      const lines = (await readFile(filePath, 'utf8')).split('\n').filter(Boolean);
      assert.deepEqual(lines.map((line) => (JSON.parse(line) as { id: string }).id).toSorted(), ['ntf_a', 'ntf_b', 'ntf_c']);
      assert.deepEqual(logged, []);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('webhook channel against a local HTTP server', () => {
  let receiver: WebhookReceiver;
  before(async () => { receiver = await startWebhookReceiver(); });
  after(async () => { await receiver.close(); });

  test('POSTs the notification as JSON, with its id as Idempotency-Key', async () => {
    const channel = new WebhookChannel({ url: receiver.url });
    assert.equal(channel.name, 'webhook');
    await channel.send(notification('ntf_hook_1'));
    const request = receiver.received.find((entry) => (entry.body as { id?: string }).id === 'ntf_hook_1');
    assert.ok(request);
    assert.deepEqual(request.body, notification('ntf_hook_1'));
    assert.equal(request.path, '/hooks/notifications');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['idempotency-key'], 'ntf_hook_1');
  });

  test('a non-2xx answer is an error carrying the status', async () => {
    const channel = new WebhookChannel({ url: receiver.url });
    for (const status of [500, 404, 302]) {
      receiver.answers.push(status);
      await assert.rejects(channel.send(notification(`ntf_hook_${status}`)), new RegExp(`answered ${status}`));
    }
  });

  test('an unreachable endpoint is an error', async () => {
    const closed = await startWebhookReceiver();
    await closed.close();
    await assert.rejects(new WebhookChannel({ url: closed.url, timeoutMs: 2_000 }).send(notification('ntf_nowhere')));
  });
});

describe('notification config', () => {
  test('reads NOTIFICATION_WEBHOOK_URL and NOTIFICATION_LOG_FILE; both unset means the process log', () => {
    const notification = (env: Record<string, string>) => loadConfig(env).notification;
    assert.deepEqual(notification({}), { webhookUrl: null, logFile: null });
    assert.deepEqual(notification({ NOTIFICATION_WEBHOOK_URL: 'https://hooks.example.test/n', NOTIFICATION_LOG_FILE: '/tmp/n.jsonl' }), {
      webhookUrl: 'https://hooks.example.test/n', logFile: '/tmp/n.jsonl',
    });
    assert.throws(() => notification({ NOTIFICATION_WEBHOOK_URL: 'not a url' }), /NOTIFICATION_WEBHOOK_URL/);
    assert.throws(() => notification({ NOTIFICATION_WEBHOOK_URL: 'ftp://files.example.test/' }), /http\(s\)/);
  });

  test('the webhook wins when set; otherwise the log channel', () => {
    assert.equal(channelFor({ webhookUrl: 'http://127.0.0.1:1/', logFile: '/tmp/x' }).name, 'webhook');
    assert.equal(channelFor({ webhookUrl: null, logFile: '/tmp/x' }).name, 'log');
    assert.equal(channelFor({ webhookUrl: null, logFile: null }).name, 'log');
  });
});
