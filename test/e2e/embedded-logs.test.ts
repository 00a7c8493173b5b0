import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../src/cli/start.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { eventually } from '../support/env.ts';
import { captureLogs, type CapturedLogs } from '../support/log-capture.ts';
import { MarketplaceClient } from './marketplace-client.ts';

/**
 * Issue 8's bar for logs: a full run — checkout, failure, refund — logs JSON
 * lines, every line about a message carries its identity and correlation, and
 * no secret (auth secret, bearer tokens, Stripe key, webhook secret, client
 * secrets) appears anywhere, at the most verbose level.
 */
describe('logs of a full embedded run (checkout, declined card, refund, a poison message)', () => {
  const secrets = {
    authSecret: `obs-auth-${randomBytes(16).toString('hex')}`,
    stripeKey: `sk_test_obs${randomBytes(12).toString('hex')}`,
    webhookSecret: `whsec_obs${randomBytes(12).toString('hex')}`,
  };
  const clientSecrets: string[] = [];
  let started: StartedPlatform;
  let client: MarketplaceClient;
  let logs: CapturedLogs;

  before(async () => {
    logs = captureLogs('trace');
    started = await startPlatform({ ...loadConfig({ NOTIFICATION_LOG_FILE: '/dev/null', AUTH_SECRET: secrets.authSecret, STRIPE_API_KEY: secrets.stripeKey, STRIPE_WEBHOOK_SECRET: secrets.webhookSecret }), httpPort: 0 }, {
      services: SERVICE_NAMES, installSignals: false, logger: logs.logger,
    });
    const url = started.url;
    client = await MarketplaceClient.create({ checkout: url, payment: url, order: url, inventory: url, delivery: url, notification: url }, started.authSecret);

    // Success, then cancelled after payment (the refund saga).
    const paid = await client.checkout(1);
    assert.equal(paid.status, 201, paid.text);
    // The paying customer reads the secret from the payment service (it never travels with the saga).
    clientSecrets.push(String((await client.call('GET', `${url}/payments/${String(paid.body.paymentId)}`, 'customer')).body.clientSecret));
    assert.equal((await client.pay(String(paid.body.paymentId), 'pm_card_visa')).status, 200);
    await client.sagaReaches(String(paid.body.sagaId), 'COMPLETED');
    const cancel = await client.call('POST', `${url}/orders/${String(paid.body.orderId)}/cancel`, 'customer', { reason: 'changed my mind' });
    assert.equal(cancel.status, 202, cancel.text);
    await client.orderReaches(String(paid.body.orderId), 'REFUNDED');
    // A declined card: the saga compensates.
    const declined = await client.checkout(1);
    clientSecrets.push(String((await client.call('GET', `${url}/payments/${String(declined.body.paymentId)}`, 'customer')).body.clientSecret));
    assert.equal((await client.pay(String(declined.body.paymentId), 'pm_card_visa_chargeDeclined')).status, 402);
    await client.sagaReaches(String(declined.body.sagaId), 'COMPENSATED');
    // Failures an operator must see: a forged webhook, a bad token, a poison message.
    const forged = await fetch(`${url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': `t=1,v1=${secrets.webhookSecret}` }, body: '{}' });
    assert.equal(forged.status, 400);
    assert.equal((await fetch(`${url}/orders/x`, { headers: { authorization: `Bearer ${secrets.authSecret}` } })).status, 401);
    await started.transport.publish([{ topic: 'order.commands', key: 'poison-logs', value: Buffer.from('{not json'), headers: {} }]);
    await eventually('poison dead-lettered', () => logs.lines().some((line) => line.msg === 'dead-lettered' && line.offset !== undefined && line.topic === 'order.commands'));
  });
  after(async () => { await started?.stop(); });

  test('every line is JSON with a level, a time and a message', () => {
    const lines = logs.lines();
    assert.ok(lines.length > 100, `a full run logs plenty (${lines.length} lines)`);
    for (const line of lines) {
      assert.equal(typeof line.level, 'string');
      assert.equal(typeof line.time, 'string');
      assert.equal(typeof line.msg, 'string');
    }
  });

  test('every line about a consumed message carries eventId, type, correlationId, causationId, traceparent, topic, partition, offset and consumer group', () => {
    const consumed = logs.lines().filter((line) => line.consumerGroup !== undefined && line.offset !== undefined);
    const groups = new Set(consumed.map((line) => line.consumerGroup));
    for (const group of ['saga', 'order', 'inventory', 'payment', 'delivery', 'notification']) assert.ok(groups.has(group), `${group} logged what it consumed`);
    for (const line of consumed) {
      for (const field of ['eventId', 'type', 'correlationId', 'causationId', 'traceparent', 'topic', 'partition', 'offset']) assert.ok(field in line, `${field} in ${JSON.stringify(line).slice(0, 300)}`);
      if (line.msg === 'handled') {
        assert.match(String(line.eventId), /^[0-9a-f-]{36}$/);
        assert.match(String(line.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
        assert.ok(line.correlationId);
      }
    }
    // Every published envelope (the poison record's forward to its dead-letter topic has none to show).
    const published = logs.lines().filter((line) => line.msg === 'published' && !String(line.topic).endsWith('.dlq'));
    assert.ok(published.length > 0);
    for (const line of published) for (const field of ['eventId', 'type', 'correlationId', 'traceparent', 'topic']) assert.ok(line[field], `${field} of a published record`);
  });

  test('saga steps are logged with the saga and the message that moved it, one correlation id throughout', () => {
    const steps = logs.lines().filter((line) => typeof line.sagaId === 'string' && typeof line.kind === 'string');
    const kinds = new Set(steps.map((line) => `${String(line.sagaType)}:${String(line.kind)}`));
    for (const kind of ['checkout:started', 'checkout:succeeded', 'checkout:completed', 'checkout:failed', 'checkout:compensated-all', 'cancellation-refund:started']) {
      assert.ok(kinds.has(kind), `${kind} logged (seen ${[...kinds].join(', ')})`);
    }
    for (const line of steps.filter((step) => step.eventId)) assert.ok(line.correlationId, 'a step moved by a message carries its correlation id');
  });

  test('what broke is logged: the dead letter as an error, the forged webhook and the bad token as client errors', () => {
    const lines = logs.lines();
    const dead = lines.find((line) => line.msg === 'dead-lettered' && line.topic === 'order.commands');
    assert.equal(dead?.level, 'error');
    assert.equal(dead.reason, 'malformed');
    assert.ok(lines.some((line) => line.msg === 'request completed' && line.statusCode === 400 && line.route === '/webhooks/stripe'));
    assert.ok(lines.some((line) => line.msg === 'request completed' && line.statusCode === 401));
  });

  test('no secret reaches a log line', () => {
    const text = logs.text();
    for (const [name, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `${name} leaked`);
    assert.equal(clientSecrets.length, 2);
    for (const secret of clientSecrets) {
      assert.match(secret, /_secret_/);
      assert.ok(!text.includes(secret), 'a client secret leaked');
    }
    assert.ok(!/_secret_/.test(text), 'no client secret of any payment');
    assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(text), 'no bearer token');
    assert.ok(!/bearer\s+\S/i.test(text), 'no authorization header value');
  });
});
