import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, uniqueName } from '../../support/env.ts';
import { openPaymentHarness, stripeOf, stripeSignature, WEBHOOK_SECRET, type PaymentHarness } from './payment-harness.ts';

type Json = Record<string, unknown>;

describe('payment service under gateway faults (kafka+postgres)', () => {
  let h: PaymentHarness;
  before(async () => { h = await openPaymentHarness({ resilience: { timeoutMs: 400, maxAttempts: 3, breakerThreshold: 5, halfOpenAfterMs: 400 } }); });
  after(async () => { await h.close(); });

  const newOrder = (): Json => ({ orderId: uniqueName('order'), customerId: 'cust_f', amount: { amount: 1_000, currency: 'USD' } });

  test('gateway errors: retried with the same key, then the breaker opens (fail fast, 503) and closes again', async () => {
    h.simulator.setFaults({ errorRate: 1 });
    try {
      // 500s are retryable and their outcome unknown: the payment waits (202) for the reconciler.
      const first = await h.post('/payments', newOrder());
      assert.equal(first.status, 202, first.text);
      assert.equal(first.body.status, 'PENDING');
      await h.post('/payments', newOrder());
      assert.equal(h.service.health().gatewayBreaker, 'open');
      const failFast = await h.post('/payments', newOrder());
      assert.equal(failFast.status, 503, failFast.text);
      assert.equal((failFast.body.error as Json).code, 'gateway_unavailable');
      assert.equal(((failFast.body.error as Json).details as Json & { payment: Json }).payment.status, 'FAILED');
      await h.service.errors.flush();
      const errors = await h.get('/gateway-errors');
      assert.equal(errors.body.breaker, 'open');
      const statistics = errors.body.statistics as { errorType: string; count: number }[];
      assert.ok(statistics.some((row) => row.errorType === 'api_error' && row.count >= 5), JSON.stringify(statistics));
      assert.ok(statistics.some((row) => row.errorType === 'circuit_open'));
      const entries = errors.body.errors as Json[];
      assert.ok(entries.some((entry) => entry.paymentId === first.body.id && String(entry.idempotencyKey).endsWith(':create')));
    } finally {
      h.simulator.setFaults({ errorRate: 0 });
    }
    await new Promise((resolve) => setTimeout(resolve, 450));
    const recovered = await h.post('/payments', newOrder());
    assert.equal(recovered.status, 201, recovered.text);
    assert.equal(h.service.health().gatewayBreaker, 'closed');
  });

  test('a timed-out create is retried with the same key: one intent, and the reconciler finishes the payment', async () => {
    const intentsBefore = h.simulator.stats().intentsCreated;
    h.simulator.setFaults({ timeoutRate: 1, timeoutHoldMs: 2_000 });
    let created;
    try {
      created = await h.post('/payments', newOrder());
    } finally {
      h.simulator.setFaults({ timeoutRate: 0 });
    }
    assert.equal(created.status, 202, created.text);
    assert.equal(created.body.stripePaymentIntentId, null);
    assert.equal(h.simulator.stats().intentsCreated, intentsBefore + 1, 'the gateway executed the first attempt only');
    await new Promise((resolve) => setTimeout(resolve, 350));
    await h.service.reconciler.reconcileOnce();
    const view = await h.get(`/payments/${String(created.body.id)}`);
    assert.match(String(view.body.stripePaymentIntentId), /^pi_/);
    const created_ = await stripeOf(h).events.list({ type: 'payment_intent.created', limit: 100 });
    const ofThisPayment = created_.data.filter((event) => (event.data.object as { metadata?: Record<string, string> }).metadata?.paymentId === created.body.id);
    assert.equal(ofThisPayment.length, 1, 'the reconciler got the same intent back');
    assert.equal((ofThisPayment[0]?.data.object as { id?: string }).id, view.body.stripePaymentIntentId);
    await new Promise((resolve) => setTimeout(resolve, 450)); // let the breaker half-open after the timeouts
  });

  test('a webhook that never arrives: the reconciler reads the intent and completes the payment', async () => {
    const order = newOrder();
    const created = await h.post('/payments', order);
    assert.equal(created.status, 201, created.text);
    const id = String(created.body.id);
    h.simulator.setFaults({ webhookDropRate: 1 });
    try {
      const confirmed = await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_authenticationRequired' });
      assert.equal(confirmed.status, 202, confirmed.text);
      assert.equal(confirmed.body.status, 'PROCESSING');
      const nextAction = String(confirmed.body.nextActionUrl);
      assert.match(nextAction, /authenticate/);
      const authenticated = await fetch(nextAction, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'succeed' }) });
      assert.equal(authenticated.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 350));
      assert.equal((await h.get(`/payments/${id}`)).body.status, 'PROCESSING', 'no webhook came');
      const report = await h.service.reconciler.reconcileOnce();
      assert.ok(report.settled >= 1, JSON.stringify(report));
    } finally {
      h.simulator.setFaults({ webhookDropRate: 0 });
    }
    assert.equal((await h.get(`/payments/${id}`)).body.status, 'COMPLETED');
    await eventually('payment.completed on Kafka', () => h.eventsOf(String(order.orderId)).some((event) => event.type === 'PaymentCompleted'));
  });

  test('a forged, altered or stale webhook is refused with 400 and writes nothing', async () => {
    const receipts = await h.count('webhook_receipts');
    const body = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_x', object: 'payment_intent', status: 'succeeded', amount_received: 100, metadata: {} } } });
    const send = (payload: string, signature: string | null): Promise<Response> => fetch(`${h.baseUrl}/webhooks/stripe`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) }, body: payload,
    });
    const attempts = [
      await send(body, stripeSignature(body, 'whsec_not_ours')),
      await send(body.replace('pi_x', 'pi_y'), stripeSignature(body, WEBHOOK_SECRET)),
      await send(body, stripeSignature(body, WEBHOOK_SECRET, Math.floor(Date.now() / 1_000) - 600)),
      await send(body, null),
    ];
    for (const response of attempts) {
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: Json }).error.code, 'invalid_signature');
    }
    assert.equal(await h.count('webhook_receipts'), receipts);
    const genuine = await send(body, stripeSignature(body, WEBHOOK_SECRET));
    assert.equal(genuine.status, 200, 'the same body, correctly signed, is accepted (and matches no payment)');
  });

  test('duplicate and out-of-order webhook delivery from the gateway leaves every payment right', async () => {
    h.simulator.setFaults({ webhookDuplicateRate: 1, webhookOutOfOrder: true });
    const ids: string[] = [];
    try {
      for (let index = 0; index < 6; index += 1) {
        const created = await h.post('/payments', newOrder());
        ids.push(String(created.body.id));
        await h.post(`/payments/${String(created.body.id)}/confirm`, { paymentMethod: index % 2 === 0 ? 'pm_card_visa' : 'pm_card_visa_chargeDeclined' });
      }
      await h.simulator.webhooksSettled();
    } finally {
      h.simulator.setFaults({ webhookDuplicateRate: 0, webhookOutOfOrder: false });
    }
    const statuses = await Promise.all(ids.map(async (id) => (await h.get(`/payments/${id}`)).body.status));
    assert.deepEqual(statuses, ['COMPLETED', 'FAILED', 'COMPLETED', 'FAILED', 'COMPLETED', 'FAILED']);
    assert.ok(h.simulator.stats().faultsInjected.duplicates > 0);
  });

  test('1,000 webhooks with 20 % duplicates in shuffled order leave every payment in the right final state', async () => {
    // The simulator plays each payment's life; a recorder catches the signed events, which are then delivered shuffled and duplicated.
    const { startWebhookRecorder } = await import('./payment-harness.ts');
    const recorder = await startWebhookRecorder();
    const stripe = stripeOf(h);
    const expected = new Map<string, string>();
    const kinds = ['pm_card_visa', 'pm_card_visa_chargeDeclined', 'pm_card_visa_chargeDeclinedInsufficientFunds', 'refund', 'partial'] as const;
    h.simulator.setWebhookEndpoint(recorder.url, WEBHOOK_SECRET);
    try {
      // Enough payments for about 800 distinct events; the 1,000 deliveries are then 20 % duplicates.
      for (let index = 0; index < 400 && recorder.bodies.length + h.simulator.stats().webhooksPendingDelivery < 800; index += 1) {
        const created = await h.post('/payments', newOrder());
        const id = String(created.body.id);
        const intentId = String(created.body.stripePaymentIntentId);
        const kind = kinds[index % kinds.length] ?? 'pm_card_visa';
        const card = kind === 'refund' || kind === 'partial' ? 'pm_card_visa' : kind;
        // Behind paysaga's back, as a browser with the client secret and the Stripe dashboard would.
        await stripe.paymentIntents.confirm(intentId, { payment_method: card }).catch(() => undefined);
        if (kind === 'refund' || kind === 'partial') await stripe.refunds.create({ payment_intent: intentId, ...(kind === 'partial' ? { amount: 400 } : {}) });
        expected.set(id, kind === 'pm_card_visa' ? 'COMPLETED' : kind === 'refund' ? 'REFUNDED' : kind === 'partial' ? 'PARTIALLY_REFUNDED' : 'FAILED');
        await h.simulator.webhooksSettled();
      }
    } finally {
      h.simulator.setWebhookEndpoint(`${h.baseUrl}/webhooks/stripe`, WEBHOOK_SECRET);
    }
    await recorder.close();
    const deliveries: string[] = [...recorder.bodies];
    const distinct = new Set(deliveries.map((body) => (JSON.parse(body) as { id: string }).id)).size;
    let random = 42;
    const next = (): number => { random = (random * 1_103_515_245 + 12_345) % 2_147_483_648; return random / 2_147_483_648; };
    while (deliveries.length < 1_000) deliveries.push(recorder.bodies[Math.floor(next() * recorder.bodies.length)] ?? '');
    for (let index = deliveries.length - 1; index > 0; index -= 1) {
      const other = Math.floor(next() * (index + 1));
      [deliveries[index], deliveries[other]] = [deliveries[other] ?? '', deliveries[index] ?? ''];
    }
    const outcomes = new Map<string, number>();
    let redelivered = 0;
    let cursor = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (cursor < deliveries.length) {
        const body = deliveries[cursor++] ?? '';
        // Like Stripe, a delivery that is not acknowledged with a 2xx is sent again (a busy machine can time out a gateway read).
        let outcome = '';
        for (let attempt = 1; attempt <= 5 && !outcome; attempt += 1) {
          const response = await fetch(`${h.baseUrl}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body, WEBHOOK_SECRET) }, body });
          if (response.status === 200) outcome = String(((await response.json()) as Json).outcome);
          else {
            redelivered += 1;
            await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
          }
        }
        outcomes.set(outcome || 'never acknowledged', (outcomes.get(outcome || 'never acknowledged') ?? 0) + 1);
      }
    }));
    const actual = await Promise.all([...expected.keys()].map(async (id) => [id, (await h.service.app.view(id)).status] as const));
    const right = actual.filter(([id, status]) => expected.get(id) === status).length;
    const receipts = await h.count('webhook_receipts');
    console.log(`# webhooks: delivered ${deliveries.length}, distinct events ${distinct}, duplicates ${deliveries.length - distinct}, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, redelivered after a non-2xx ${redelivered}, payments right ${right}/${expected.size}`);
    assert.equal(deliveries.length, 1_000);
    assert.ok(deliveries.length - distinct >= 180 && deliveries.length - distinct <= 220, 'about 20 % of the deliveries are duplicates');
    assert.equal(outcomes.get('duplicate'), deliveries.length - distinct, 'every duplicate recognised');
    assert.ok(receipts >= distinct);
    assert.deepEqual(actual.filter(([id, status]) => expected.get(id) !== status), []);
    assert.equal(right, expected.size);
  });
});
