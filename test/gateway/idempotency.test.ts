import assert from 'node:assert/strict';
import { test } from 'node:test';
import Stripe from 'stripe';
import { expectStripeError, rawCall, startSimulator } from './support/harness.ts';

test('same key, same parameters: one intent, and the replay is byte-identical and marked replayed', async () => {
  const { simulator } = await startSimulator();
  try {
    const headers = { 'Idempotency-Key': 'checkout-order-1' };
    const form = 'amount=2500&currency=usd&metadata[orderId]=order-1';
    const first = await rawCall(simulator, 'POST', '/v1/payment_intents', { form, headers });
    // The same parameters in another order are the same request.
    const second = await rawCall(simulator, 'POST', '/v1/payment_intents', { form: 'metadata[orderId]=order-1&currency=usd&amount=2500', headers });
    assert.equal(first.status, 200, first.body);
    assert.equal(second.status, 200);
    assert.equal(second.body, first.body);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(second.headers.get('original-request'), first.headers.get('request-id'));
    assert.notEqual(second.headers.get('request-id'), first.headers.get('request-id'));
    assert.equal(simulator.stats().intentsCreated, 1);
    assert.equal(simulator.stats().eventsCreated, 1);
  } finally {
    await simulator.close();
  }
});

test('through the SDK: the same idempotencyKey returns the same object', async () => {
  const { simulator, stripe } = await startSimulator();
  try {
    const params = { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-2' });
    const second = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-2' });
    assert.equal(second.id, first.id);
    assert.equal(second.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal(simulator.stats().intentsCreated, 1);
    const refund = await stripe.refunds.create({ payment_intent: first.id, amount: 100 }, { idempotencyKey: 'refund-1' });
    assert.equal((await stripe.refunds.create({ payment_intent: first.id, amount: 100 }, { idempotencyKey: 'refund-1' })).id, refund.id);
    assert.equal(simulator.stats().refundsCreated, 1);
  } finally {
    await simulator.close();
  }
});

test('same key with different parameters or another endpoint is an idempotency_error', async () => {
  const { simulator, stripe } = await startSimulator();
  try {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'key-a' });
    await expectStripeError(stripe.paymentIntents.create({ amount: 1001, currency: 'usd' }, { idempotencyKey: 'key-a' }), {
      type: 'StripeIdempotencyError', rawType: 'idempotency_error', statusCode: 400,
    });
    await expectStripeError(stripe.paymentIntents.cancel(intent.id, {}, { idempotencyKey: 'key-a' }), { rawType: 'idempotency_error', statusCode: 400 });
    assert.equal(simulator.stats().intentsCreated, 1);
    assert.equal((await stripe.paymentIntents.retrieve(intent.id)).status, 'requires_payment_method');
  } finally {
    await simulator.close();
  }
});

test('keys are scoped to the API key', async () => {
  const { simulator, stripe } = await startSimulator();
  try {
    const other = new Stripe('sk_test_another_account', { host: simulator.host, port: simulator.port, protocol: 'http', maxNetworkRetries: 0 });
    const mine = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'shared-key' });
    const theirs = await other.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'shared-key' });
    assert.notEqual(theirs.id, mine.id);
  } finally {
    await simulator.close();
  }
});

test('10 concurrent creates with one key and injected latency make exactly one intent', async () => {
  const { simulator, stripe } = await startSimulator({ faults: { latencyMs: 40 } });
  try {
    const params = { amount: 4200, currency: 'usd', metadata: { orderId: 'order-concurrent' } };
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => stripe.paymentIntents.create(params, { idempotencyKey: 'concurrent-key' })));
    assert.equal(simulator.stats().intentsCreated, 1);
    const created = results.filter((result) => result.status === 'fulfilled').map((result) => result.value.id);
    assert.ok(created.length >= 1, 'the request that claimed the key succeeds');
    assert.equal(new Set(created).size, 1);
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      const error = result.reason as Stripe.errors.StripeError;
      assert.equal(error.statusCode, 409, error.message);
      assert.equal(error.rawType, 'idempotency_error');
      assert.equal(error.code, 'idempotency_key_in_use');
    }
    // Once the first finished, a retry gets the stored answer.
    const retry = await stripe.paymentIntents.create(params, { idempotencyKey: 'concurrent-key' });
    assert.equal(retry.id, created[0]);
    assert.equal(simulator.stats().intentsCreated, 1);
  } finally {
    await simulator.close();
  }
});

test('with the SDK retrying, 409s turn into the stored answer', async () => {
  const { simulator } = await startSimulator({ faults: { latencyMs: 30 } });
  try {
    const stripe = new Stripe('sk_test_retrying', { host: simulator.host, port: simulator.port, protocol: 'http', maxNetworkRetries: 3 });
    const results = await Promise.all(Array.from({ length: 5 }, () => stripe.paymentIntents.create({ amount: 300, currency: 'usd' }, { idempotencyKey: 'retried-key' })));
    assert.equal(new Set(results.map((intent) => intent.id)).size, 1);
    assert.equal(simulator.stats().intentsCreated, 1);
  } finally {
    await simulator.close();
  }
});

test('a validation failure is not stored: the corrected retry with the same key executes', async () => {
  const { simulator, stripe } = await startSimulator();
  try {
    await expectStripeError(stripe.paymentIntents.create({ amount: -1, currency: 'usd' }, { idempotencyKey: 'fix-me' }), { code: 'parameter_invalid_integer', statusCode: 400 });
    const intent = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'fix-me' });
    assert.equal(intent.amount, 100);
    assert.equal(intent.lastResponse.headers['idempotent-replayed'], undefined);
  } finally {
    await simulator.close();
  }
});

test('an executed failure (a decline, a state error) is stored and replayed without a second attempt', async () => {
  const { simulator } = await startSimulator();
  try {
    const headers = { 'Idempotency-Key': 'declined-once' };
    const form = 'amount=900&currency=usd&payment_method=pm_card_visa_chargeDeclined&confirm=true';
    const first = await rawCall(simulator, 'POST', '/v1/payment_intents', { form, headers });
    const second = await rawCall(simulator, 'POST', '/v1/payment_intents', { form, headers });
    assert.equal(first.status, 402);
    assert.equal(second.status, 402);
    assert.equal(second.body, first.body);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(simulator.stats().intentsCreated, 1);
  } finally {
    await simulator.close();
  }
});

test('an injected 500 is not stored: a retry with the same key executes once', async () => {
  const { simulator, stripe } = await startSimulator({ faults: { errorRate: 1 } });
  try {
    await expectStripeError(stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'flaky' }), { rawType: 'api_error', statusCode: 500 });
    simulator.setFaults({ errorRate: 0 });
    const intent = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'flaky' });
    assert.equal(intent.lastResponse.headers['idempotent-replayed'], undefined);
    assert.equal(simulator.stats().intentsCreated, 1);
  } finally {
    await simulator.close();
  }
});

test('an over-long key is refused; GET requests ignore the header', async () => {
  const { simulator } = await startSimulator();
  try {
    const long = await rawCall(simulator, 'POST', '/v1/payment_intents', { form: 'amount=1&currency=usd', headers: { 'Idempotency-Key': 'k'.repeat(256) } });
    assert.equal(long.status, 400);
    assert.equal((JSON.parse(long.body) as { error: { type: string } }).error.type, 'idempotency_error');
    const list = await rawCall(simulator, 'GET', '/v1/events', { headers: { 'Idempotency-Key': 'ignored' } });
    assert.equal(list.status, 200);
    assert.equal(simulator.stats().intentsCreated, 0);
  } finally {
    await simulator.close();
  }
});
