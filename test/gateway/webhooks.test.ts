import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import Stripe from 'stripe';
import { stripeSignatureHeader } from '../../src/gateway/simulator/index.ts';
import { rawCall, sequence, startSimulator, startWebhookReceiver, TEST_KEY, WEBHOOK_SECRET } from './support/harness.ts';

const FAST_RETRY = { attempts: 4, baseDelayMs: 20, maxDelayMs: 80 };

function typesOf(deliveries: readonly { event: Stripe.Event }[]): string[] {
  return deliveries.map(({ event }) => event.type);
}

test('events are delivered in order, signed so that the SDK verifies them', async () => {
  const receiver = await startWebhookReceiver();
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, webhookRetry: FAST_RETRY });
  try {
    const intent = await stripe.paymentIntents.create(
      { amount: 1999, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { orderId: 'order-w1' } },
      { idempotencyKey: 'order-w1-pay' },
    );
    await simulator.webhooksSettled();
    assert.equal(receiver.rejected, 0);
    assert.deepEqual(typesOf(receiver.deliveries), ['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    for (const { event, signature } of receiver.deliveries) {
      assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(event.request?.idempotency_key, 'order-w1-pay');
      assert.equal(event.livemode, false);
      assert.equal((event.data.object as { metadata: Record<string, string> }).metadata.orderId, 'order-w1');
    }
    const succeeded = receiver.deliveries[2]?.event.data.object as Stripe.PaymentIntent;
    assert.equal(succeeded.id, intent.id);
    assert.equal(succeeded.status, 'succeeded');
    const stats = simulator.stats();
    assert.equal(stats.webhooksDelivered, 3);
    assert.equal(stats.webhookAttempts, 3);
    assert.equal(stats.webhooksPendingDelivery, 0);
    const delivered = await stripe.events.list({ delivery_success: true });
    assert.equal(delivered.data.length, 3);
    assert.ok(delivered.data.every((event) => event.pending_webhooks === 0));
    assert.equal((await stripe.events.list({ delivery_success: false })).data.length, 0);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('each payment intent\'s events arrive in order, while different intents\' go out side by side', async () => {
  const receiver = await startWebhookReceiver({ answerAfterMs: 300 });
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, webhookRetry: FAST_RETRY });
  try {
    const intents = await Promise.all(Array.from({ length: 6 }, (_, index) =>
      stripe.paymentIntents.create({ amount: 1000 + index, currency: 'usd', payment_method: 'pm_card_visa', confirm: true })));
    await simulator.webhooksSettled();
    assert.equal(receiver.deliveries.length, 18);
    for (const intent of intents) {
      const own = receiver.deliveries.filter(({ event }) => {
        const object = event.data.object as { id: string; payment_intent?: string };
        return (object.payment_intent ?? object.id) === intent.id;
      });
      assert.deepEqual(typesOf(own), ['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded'], intent.id);
    }
    assert.ok(receiver.maxInFlight > 1, `deliveries for different intents overlap (most at once: ${receiver.maxInFlight})`);
    assert.ok(receiver.maxInFlight <= 8, `at most 8 at once (most at once: ${receiver.maxInFlight})`);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('a failing endpoint is retried with backoff until it answers 2xx', async () => {
  const receiver = await startWebhookReceiver({ failFirst: 2 });
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, webhookRetry: FAST_RETRY });
  try {
    const intent = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    assert.equal(simulator.stats().webhooksPendingDelivery, 1);
    const [pending] = (await stripe.events.list()).data;
    assert.equal(pending?.pending_webhooks, 1);
    await simulator.webhooksSettled();
    assert.equal(receiver.attempts, 3);
    assert.equal(receiver.deliveries.length, 1);
    assert.equal((receiver.deliveries[0]?.event.data.object as Stripe.PaymentIntent).id, intent.id);
    const stats = simulator.stats();
    assert.equal(stats.webhookAttempts, 3);
    assert.equal(stats.webhooksDelivered, 1);
    assert.equal(stats.webhooksFailed, 0);
    assert.equal((await stripe.events.retrieve(String(pending?.id))).pending_webhooks, 0);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('after the last attempt the event stays undelivered and is listed by delivery_success=false', async () => {
  const receiver = await startWebhookReceiver({ failFirst: 1000 });
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 10 } });
  try {
    await stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    await simulator.webhooksSettled();
    assert.equal(receiver.attempts, 3);
    assert.equal(simulator.stats().webhooksFailed, 1);
    const undelivered = await stripe.events.list({ delivery_success: false });
    assert.deepEqual(undelivered.data.map((event) => [event.type, event.pending_webhooks]), [['payment_intent.created', 1]]);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('a changed body, a wrong secret or a stale timestamp fails the SDK signature check', async () => {
  const receiver = await startWebhookReceiver();
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, webhookRetry: FAST_RETRY });
  try {
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await simulator.webhooksSettled();
    const [delivery] = receiver.deliveries;
    assert.ok(delivery);
    const verifier = new Stripe(TEST_KEY);
    assert.equal(verifier.webhooks.constructEvent(delivery.raw, delivery.signature, WEBHOOK_SECRET).id, delivery.event.id);
    const forged = delivery.raw.replace('"amount": 1000', '"amount": 1');
    assert.notEqual(forged, delivery.raw);
    assert.throws(() => verifier.webhooks.constructEvent(forged, delivery.signature, WEBHOOK_SECRET), Stripe.errors.StripeSignatureVerificationError);
    assert.throws(() => verifier.webhooks.constructEvent(delivery.raw, delivery.signature, 'whsec_someone_else'), Stripe.errors.StripeSignatureVerificationError);
    const stale = stripeSignatureHeader(delivery.raw, WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 3600);
    assert.throws(() => verifier.webhooks.constructEvent(delivery.raw, stale, WEBHOOK_SECRET), Stripe.errors.StripeSignatureVerificationError);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('an endpoint with another secret rejects every attempt; switching the secret at runtime fixes new events', async () => {
  const receiver = await startWebhookReceiver();
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookSecret: 'whsec_wrong', webhookRetry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 5 } });
  try {
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await simulator.webhooksSettled();
    assert.equal(receiver.rejected, 2);
    assert.equal(receiver.deliveries.length, 0);
    simulator.setWebhookEndpoint(receiver.url, WEBHOOK_SECRET);
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await simulator.webhooksSettled();
    assert.equal(receiver.deliveries.length, 1);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('the duplicate knob delivers an event twice with the same event id', async () => {
  const receiver = await startWebhookReceiver();
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, faults: { webhookDuplicateRate: 1 } });
  try {
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    await simulator.webhooksSettled();
    const ids = receiver.deliveries.map(({ event }) => event.id);
    assert.equal(ids.length, 6);
    assert.equal(new Set(ids).size, 3);
    assert.equal(simulator.stats().faultsInjected.duplicates, 3);
    assert.equal(simulator.stats().webhooksDelivered, 6);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('the out-of-order knob shuffles the events of one window (the order follows the injected random)', async () => {
  const receiver = await startWebhookReceiver();
  const { simulator, stripe } = await startSimulator({
    webhookUrl: receiver.url,
    webhookSecret: WEBHOOK_SECRET,
    faults: { webhookOutOfOrder: true, webhookBatchWindowMs: 20 },
    random: () => 0,
  });
  try {
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    await simulator.webhooksSettled();
    // Fisher–Yates with random() = 0 turns [created, charge, succeeded] into [charge, succeeded, created].
    assert.deepEqual(typesOf(receiver.deliveries), ['charge.succeeded', 'payment_intent.succeeded', 'payment_intent.created']);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('the drop knob loses events, which stay listed as undelivered', async () => {
  const receiver = await startWebhookReceiver();
  // Drop the first event, keep the next two (each event draws once for the drop decision).
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, faults: { webhookDropRate: 0.5 }, random: sequence(0.1, 0.9, 0.9) });
  try {
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    await simulator.webhooksSettled();
    assert.deepEqual(typesOf(receiver.deliveries), ['charge.succeeded', 'payment_intent.succeeded']);
    assert.equal(simulator.stats().faultsInjected.dropped, 1);
    const lost = await stripe.events.list({ delivery_success: false });
    assert.deepEqual(lost.data.map((event) => event.type), ['payment_intent.created']);
    const all = await stripe.events.list();
    assert.equal(all.data.length, 3);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('the delay knob holds the first attempt back; the API answer does not wait for it', async () => {
  const receiver = await startWebhookReceiver();
  const { simulator, stripe } = await startSimulator({ webhookUrl: receiver.url, webhookSecret: WEBHOOK_SECRET, faults: { webhookDelayMs: 250 } });
  try {
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    assert.equal(receiver.attempts, 0);
    assert.equal(simulator.stats().webhooksPendingDelivery, 1);
    await simulator.webhooksSettled();
    assert.equal(receiver.deliveries.length, 1);
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('a hanging endpoint never blocks the API, and close() cancels its deliveries', async () => {
  const hanging = createServer(() => { /* never answers */ });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`;
  const { simulator, stripe } = await startSimulator({ webhookUrl: url, webhookRetry: { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
  try {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    assert.equal(intent.status, 'succeeded');
    assert.equal((await stripe.paymentIntents.retrieve(intent.id)).status, 'succeeded');
    assert.equal(simulator.stats().webhooksPendingDelivery, 3);
    const settled = simulator.webhooksSettled();
    await simulator.close();
    await settled;
    assert.equal(simulator.stats().webhooksPendingDelivery, 0);
  } finally {
    await simulator.close();
    await new Promise<void>((resolve) => {
      hanging.close(() => resolve());
      hanging.closeAllConnections();
    });
  }
});

test('the webhook endpoint can be set and cleared through the control API', async () => {
  const receiver = await startWebhookReceiver();
  const { simulator, stripe } = await startSimulator();
  try {
    await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    assert.equal((await stripe.events.list()).data[0]?.pending_webhooks, 0, 'no endpoint: nothing pending');
    const set = await rawCall(simulator, 'POST', '/_simulator/webhook-endpoint', { json: { url: receiver.url, secret: WEBHOOK_SECRET }, auth: false });
    assert.equal(set.status, 200, set.body);
    await stripe.paymentIntents.create({ amount: 200, currency: 'usd' });
    await simulator.webhooksSettled();
    assert.equal(receiver.deliveries.length, 1);
    assert.equal((receiver.deliveries[0]?.event.data.object as Stripe.PaymentIntent).amount, 200);
    const cleared = await rawCall(simulator, 'POST', '/_simulator/webhook-endpoint', { json: { url: null }, auth: false });
    assert.equal(cleared.status, 200);
    await stripe.paymentIntents.create({ amount: 300, currency: 'usd' });
    await simulator.webhooksSettled();
    assert.equal(receiver.deliveries.length, 1);
    for (const bad of [{ url: 'ftp://x' }, { url: 'not a url' }, { url: 42 }, { url: null, secret: '' }, { url: null, extra: true }]) {
      const refused = await rawCall(simulator, 'POST', '/_simulator/webhook-endpoint', { json: bad, auth: false });
      assert.equal(refused.status, 400, JSON.stringify(bad));
    }
  } finally {
    await simulator.close();
    await receiver.close();
  }
});

test('event lists page newest first with limit, starting_after and type filters', async () => {
  const { simulator, stripe } = await startSimulator();
  try {
    for (let index = 0; index < 4; index++) await stripe.paymentIntents.create({ amount: 100 + index, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    const first = await stripe.events.list({ limit: 5 });
    assert.equal(first.object, 'list');
    assert.equal(first.url, '/v1/events');
    assert.equal(first.data.length, 5);
    assert.equal(first.has_more, true);
    assert.equal(first.data[0]?.type, 'payment_intent.succeeded');
    const all: string[] = [];
    for await (const event of stripe.events.list({ limit: 5 })) all.push(event.id);
    assert.equal(all.length, 12);
    assert.equal(new Set(all).size, 12);
    const created = await stripe.events.list({ type: 'payment_intent.created', limit: 100 });
    assert.deepEqual(created.data.map((event) => (event.data.object as Stripe.PaymentIntent).amount), [103, 102, 101, 100]);
    assert.equal((await stripe.events.list({ type: 'payment_intent.*', limit: 100 })).data.length, 8);
    const newer = await stripe.events.list({ ending_before: all[4], limit: 2 });
    assert.deepEqual(newer.data.map((event) => event.id), [all[2], all[3]]);
    const tooMany = await rawCall(simulator, 'GET', '/v1/events?limit=101');
    assert.equal(tooMany.status, 400);
  } finally {
    await simulator.close();
  }
});
