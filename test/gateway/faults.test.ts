import assert from 'node:assert/strict';
import { test } from 'node:test';
import Stripe from 'stripe';
import { DEFAULT_FAULTS, InvalidFaultError, startGatewaySimulator } from '../../src/gateway/simulator/index.ts';
import { expectStripeError, rawCall, startSimulator, stripeFor } from './support/harness.ts';

test('errorRate=1 answers 500 api_error and executes nothing', async () => {
  const { simulator, stripe } = await startSimulator({ faults: { errorRate: 1 } });
  try {
    await expectStripeError(stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }), { type: 'StripeAPIError', rawType: 'api_error', statusCode: 500 });
    assert.equal(simulator.stats().intentsCreated, 0);
    assert.equal(simulator.stats().eventsCreated, 0);
    assert.equal(simulator.stats().faultsInjected.errors, 1);
    simulator.setFaults({ errorRate: 0 });
    assert.equal((await stripe.events.list()).data.length, 0);
  } finally {
    await simulator.close();
  }
});

test('timeoutRate=1: the intent is created, the client times out, and a retry with the same key returns the same intent', async () => {
  const { simulator } = await startSimulator({ faults: { timeoutRate: 1, timeoutHoldMs: 5_000 } });
  try {
    const impatient = stripeFor(simulator, { timeout: 300, maxNetworkRetries: 0 });
    const params = { amount: 1800, currency: 'usd', metadata: { orderId: 'order-timeout' } };
    await expectStripeError(impatient.paymentIntents.create(params, { idempotencyKey: 'order-timeout-pay' }), { type: 'StripeConnectionError' });
    assert.equal(simulator.stats().intentsCreated, 1, 'the side effect happened although the client saw a timeout');
    assert.equal(simulator.stats().faultsInjected.timeouts, 1);

    simulator.setFaults({ timeoutRate: 0 });
    const stripe = stripeFor(simulator);
    const [created] = (await stripe.events.list({ type: 'payment_intent.created' })).data;
    assert.equal(created?.request?.idempotency_key, 'order-timeout-pay');
    const retried = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-timeout-pay' });
    assert.equal(retried.id, (created?.data.object as Stripe.PaymentIntent).id);
    assert.equal(retried.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal(simulator.stats().intentsCreated, 1);
  } finally {
    await simulator.close();
  }
});

test('a held response is cut when the hold ends, before a patient client gives up', async () => {
  const { simulator } = await startSimulator({ faults: { timeoutRate: 1, timeoutHoldMs: 30 } });
  try {
    const response = await rawCall(simulator, 'POST', '/v1/payment_intents', { form: 'amount=100&currency=usd' }).then(
      () => 'answered',
      () => 'connection destroyed',
    );
    assert.equal(response, 'connection destroyed');
    assert.equal(simulator.stats().intentsCreated, 1);
  } finally {
    await simulator.close();
  }
});

test('close() releases held responses at once', async () => {
  const { simulator } = await startSimulator({ faults: { timeoutRate: 1, timeoutHoldMs: 60_000 } });
  const pending = rawCall(simulator, 'GET', '/v1/events').then(() => 'answered', () => 'destroyed');
  for (let waited = 0; simulator.stats().faultsInjected.timeouts === 0 && waited < 400; waited++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(simulator.stats().faultsInjected.timeouts, 1);
  await simulator.close();
  assert.equal(await pending, 'destroyed');
});

test('latency is added to every response (a lower bound only)', async () => {
  const { simulator, stripe } = await startSimulator({ faults: { latencyMs: 60, latencyJitterMs: 20 } });
  try {
    const started = performance.now();
    await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    assert.ok(performance.now() - started >= 55);
  } finally {
    await simulator.close();
  }
});

test('the control API shows and changes the fault knobs, and refuses bad values', async () => {
  const { simulator } = await startSimulator();
  try {
    const shown = await rawCall(simulator, 'GET', '/_simulator/faults', { auth: false });
    assert.equal(shown.status, 200);
    assert.deepEqual(JSON.parse(shown.body), DEFAULT_FAULTS);

    const changed = await rawCall(simulator, 'POST', '/_simulator/faults', { json: { latencyMs: 5, errorRate: 0.25, webhookOutOfOrder: true }, auth: false });
    assert.equal(changed.status, 200, changed.body);
    assert.deepEqual(simulator.faults(), { ...DEFAULT_FAULTS, latencyMs: 5, errorRate: 0.25, webhookOutOfOrder: true });

    const refusals: [unknown, string | undefined][] = [
      [{ errorRate: 2 }, 'errorRate'],
      [{ timeoutRate: -0.1 }, 'timeoutRate'],
      [{ latencyMs: -1 }, 'latencyMs'],
      [{ latencyMs: '10' }, 'latencyMs'],
      [{ webhookOutOfOrder: 'yes' }, 'webhookOutOfOrder'],
      [{ chaos: 1 }, 'chaos'],
      [[1, 2], undefined],
    ];
    for (const [body, param] of refusals) {
      const refused = await rawCall(simulator, 'POST', '/_simulator/faults', { json: body, auth: false });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal((JSON.parse(refused.body) as { error: { param: string } }).error.param, param);
    }
    const notJson = await rawCall(simulator, 'POST', '/_simulator/faults', { form: '{oops', auth: false, headers: { 'Content-Type': 'application/json' } });
    assert.equal(notJson.status, 400);
    assert.deepEqual(simulator.faults(), { ...DEFAULT_FAULTS, latencyMs: 5, errorRate: 0.25, webhookOutOfOrder: true }, 'refused changes change nothing');

    const stats = await rawCall(simulator, 'GET', '/_simulator/stats', { auth: false });
    assert.equal(stats.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(stats.body) as object).sort(), [
      'eventsCreated', 'faultsInjected', 'intentsCreated', 'refundsCreated', 'requests', 'webhookAttempts', 'webhooksDelivered', 'webhooksFailed', 'webhooksPendingDelivery',
    ]);
  } finally {
    await simulator.close();
  }
});

test('setFaults and startGatewaySimulator validate too', async () => {
  const { simulator } = await startSimulator();
  try {
    assert.throws(() => simulator.setFaults({ webhookDropRate: 1.5 }), InvalidFaultError);
    assert.throws(() => simulator.setFaults({ timeoutHoldMs: Number.NaN }), InvalidFaultError);
    assert.equal(simulator.faults().webhookDropRate, 0);
  } finally {
    await simulator.close();
  }
  await assert.rejects(startGatewaySimulator({ port: 0, faults: { errorRate: -1 } }), InvalidFaultError);
  await assert.rejects(startGatewaySimulator({ port: 0, webhookUrl: 'mailto:x@example.com' }), RangeError);
  await assert.rejects(startGatewaySimulator({ port: 0, webhookRetry: { attempts: 0, baseDelayMs: 1, maxDelayMs: 1 } }), RangeError);
});

test('the SDK, retrying on its own, rides over a flaky simulator without a duplicate intent', async () => {
  // Fail the first attempt (0.1 < 0.5), then let the SDK's retry — same Idempotency-Key — through.
  let draws = 0;
  const { simulator } = await startSimulator({ faults: { errorRate: 0.5 }, random: () => (draws++ === 0 ? 0.1 : 0.9) });
  try {
    const stripe = new Stripe('sk_test_retrying', { host: simulator.host, port: simulator.port, protocol: 'http', maxNetworkRetries: 2 });
    const intent = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    assert.equal(intent.status, 'requires_payment_method');
    assert.equal(simulator.stats().faultsInjected.errors, 1);
    assert.equal(simulator.stats().intentsCreated, 1);
    assert.equal(simulator.stats().requests, 2);
  } finally {
    await simulator.close();
  }
});
