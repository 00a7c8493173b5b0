import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, uniqueName } from '../../support/env.ts';
import { issueToken } from '../../../src/platform/http/auth.ts';
import { AUTH_SECRET, openPaymentHarness, startWebhookRecorder, stripeOf, stripeSignature, WEBHOOK_SECRET, type PaymentHarness } from './payment-harness.ts';

type Json = Record<string, unknown>;

describe('payment service on kafka+postgres with the gateway simulator', () => {
  let h: PaymentHarness;
  before(async () => { h = await openPaymentHarness(); });
  after(async () => { await h.close(); });

  async function createPayment(amount = 2_500, currency = 'USD'): Promise<{ id: string; orderId: string; body: Json }> {
    const orderId = uniqueName('order');
    // As the paying customer: only they are shown the client secret.
    const customer = await issueToken(AUTH_SECRET, { subject: 'cust_1', role: 'customer' });
    const created = await h.post('/payments', { orderId, customerId: 'cust_1', amount: { amount, currency } }, { authorization: `Bearer ${customer}` });
    assert.equal(created.status, 201, created.text);
    return { id: created.body.id as string, orderId, body: created.body };
  }

  const typesOf = (orderId: string): string[] => h.eventsOf(orderId).filter((event) => event.type !== 'PaymentWebhookReceived').map((event) => event.type);

  test('success: create → confirm with the success card → COMPLETED, with the seed events on Kafka in order', async () => {
    const { id, orderId, body } = await createPayment();
    assert.match(String(body.clientSecret), /^pi_.+_secret_/);
    assert.match(String(body.stripePaymentIntentId), /^pi_/);
    assert.equal(body.status, 'PENDING');
    const confirmed = await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_visa' });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.body.status, 'COMPLETED');
    assert.match(String(confirmed.body.stripeChargeId), /^ch_/);
    await eventually('initiated, processing, completed', () => typesOf(orderId).length >= 3);
    assert.deepEqual(typesOf(orderId), ['PaymentInitiated', 'PaymentProcessing', 'PaymentCompleted']);
    const completed = h.eventsOf(orderId).find((event) => event.type === 'PaymentCompleted');
    const payload = completed?.payload as Json;
    assert.deepEqual(payload.amount, { amount: 2_500, currency: 'USD' });
    assert.equal(payload.stripePaymentIntentId, body.stripePaymentIntentId);
    assert.match(String(payload.receiptUrl), /receipts/);
    const correlation = new Set(h.eventsOf(orderId).map((event) => event.correlationId));
    assert.equal(correlation.size, 1, 'one correlation id for every event of the payment');
    await eventually('webhooks received and published', () => h.eventsOf(orderId).some((event) => event.type === 'PaymentWebhookReceived'));
  });

  test('a webhook that only repeats what the confirm answered costs no gateway call: the receipt it already has is not fetched again', async () => {
    // The webhooks are caught and delivered after the confirm, so the order is fixed: confirm first, then its webhooks.
    const recorder = await startWebhookRecorder();
    h.simulator.setWebhookEndpoint(recorder.url, WEBHOOK_SECRET);
    let confirmedBody: Json;
    try {
      const { id } = await createPayment();
      const confirmed = await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_visa' });
      assert.equal(confirmed.status, 200, confirmed.text);
      confirmedBody = confirmed.body;
      await h.simulator.webhooksSettled();
    } finally {
      h.simulator.setWebhookEndpoint(`${h.baseUrl}/webhooks/stripe`, WEBHOOK_SECRET);
      await recorder.close();
    }
    assert.match(String(confirmedBody.receiptUrl), /receipts/, 'the confirm fetched the receipt');
    const intentId = String(confirmedBody.stripePaymentIntentId);
    const ofThisPayment = recorder.bodies.filter((body) => body.includes(intentId));
    assert.ok(ofThisPayment.some((body) => (JSON.parse(body) as { type: string }).type === 'payment_intent.succeeded'), 'the succeeded webhook was caught');
    const gatewayCallsBefore = h.simulator.stats().requests;
    for (const body of ofThisPayment) {
      const response = await fetch(`${h.baseUrl}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body, WEBHOOK_SECRET) }, body });
      assert.equal(response.status, 200, await response.text());
    }
    assert.equal(h.simulator.stats().requests - gatewayCallsBefore, 0, 'no call to the gateway for webhooks that bring nothing new');
    const after = await h.get(`/payments/${String(confirmedBody.id)}`);
    assert.equal(after.body.status, 'COMPLETED');
    assert.equal(after.body.receiptUrl, confirmedBody.receiptUrl);
  });

  for (const [card, declineCode] of [['pm_card_visa_chargeDeclined', 'generic_decline'], ['pm_card_visa_chargeDeclinedInsufficientFunds', 'insufficient_funds']] as const) {
    test(`decline (${declineCode}): 402 with the decline, payment FAILED, payment.failed carries the reason`, async () => {
      const { id, orderId } = await createPayment();
      const confirmed = await h.post(`/payments/${id}/confirm`, { paymentMethod: card });
      assert.equal(confirmed.status, 402, confirmed.text);
      const error = confirmed.body.error as Json;
      assert.equal(error.code, 'card_declined');
      assert.equal((error.details as Json).declineCode, declineCode);
      assert.equal(((error.details as Json).payment as Json).status, 'FAILED');
      await eventually('payment.failed', () => typesOf(orderId).includes('PaymentFailed'));
      assert.deepEqual(typesOf(orderId), ['PaymentInitiated', 'PaymentProcessing', 'PaymentFailed']);
      const failed = h.eventsOf(orderId).find((event) => event.type === 'PaymentFailed')?.payload as Json;
      assert.equal(failed.failureCode, 'card_declined');
      assert.equal(failed.declineCode, declineCode);
      // The declined intent is closed at the gateway, so it can never be paid later.
      const intentId = String(((error.details as Json).payment as Json).stripePaymentIntentId);
      await eventually('intent cancelled at the gateway', async () => (await stripeOf(h).paymentIntents.retrieve(intentId)).status === 'canceled');
    });
  }

  test('processing error card: FAILED with code processing_error', async () => {
    const { id } = await createPayment();
    const confirmed = await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_chargeDeclinedProcessingError' });
    assert.equal(confirmed.status, 402, confirmed.text);
    assert.equal((confirmed.body.error as Json).code, 'processing_error');
  });

  test('cancel before payment: CANCELLED and payment.cancelled; a second cancel or a confirm is refused with 409', async () => {
    const { id, orderId } = await createPayment();
    const cancelled = await h.post(`/payments/${id}/cancel`, { reason: 'customer changed their mind' });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.status, 'CANCELLED');
    assert.equal(cancelled.body.cancelReason, 'customer changed their mind');
    await eventually('payment.cancelled', () => typesOf(orderId).includes('PaymentCancelled'));
    const again = await h.post(`/payments/${id}/cancel`, {});
    assert.equal(again.status, 409);
    assert.equal((again.body.error as Json).code, 'illegal_transition');
    const confirm = await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_visa' });
    assert.equal(confirm.status, 409);
  });

  test('partial then full refund; an over-refund is refused and writes nothing', async () => {
    const { id, orderId } = await createPayment(5_000);
    assert.equal((await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_visa' })).status, 200);
    const partial = await h.post(`/payments/${id}/refunds`, { amount: { amount: 1_500, currency: 'USD' }, reason: 'missing item' });
    assert.equal(partial.status, 201, partial.text);
    assert.equal((partial.body.refund as Json).status, 'succeeded');
    assert.equal((partial.body.payment as Json).status, 'PARTIALLY_REFUNDED');
    const refundsBefore = await h.count('refunds', { column: 'payment_id', value: id });
    const tooMuch = await h.post(`/payments/${id}/refunds`, { amount: { amount: 3_501, currency: 'USD' }, reason: 'greedy' });
    assert.equal(tooMuch.status, 400, tooMuch.text);
    assert.equal((tooMuch.body.error as Json).code, 'refund_exceeds_remaining');
    assert.equal(((tooMuch.body.error as Json).details as Json).refundable, 3_500);
    assert.equal(await h.count('refunds', { column: 'payment_id', value: id }), refundsBefore, 'nothing written');
    const rest = await h.post(`/payments/${id}/refunds`, { reason: 'order cancelled' });
    assert.equal(rest.status, 201, rest.text);
    assert.deepEqual((rest.body.refund as Json).amount, { amount: 3_500, currency: 'USD' });
    assert.equal((rest.body.payment as Json).status, 'REFUNDED');
    const after = await h.post(`/payments/${id}/refunds`, { amount: { amount: 1, currency: 'USD' }, reason: 'one more' });
    assert.equal(after.status, 409);
    await eventually('two refunded events', () => typesOf(orderId).filter((type) => type === 'PaymentRefunded').length === 2);
    const refunded = h.eventsOf(orderId).filter((event) => event.type === 'PaymentRefunded').map((event) => event.payload as Json);
    assert.deepEqual(refunded.map((payload) => [(payload.amount as Json).amount, (payload.totalRefunded as Json).amount, payload.fullyRefunded]), [[1_500, 1_500, false], [3_500, 5_000, true]]);
    assert.equal(typesOf(orderId).filter((type) => type === 'PaymentRefundInitiated').length, 2);
  });

  test('bad input gets a structured 4xx and writes nothing', async () => {
    const before = await h.count('payments');
    const orderId = uniqueName('order');
    const bad: unknown[] = [
      { orderId, customerId: 'c', amount: { amount: -5, currency: 'USD' } },
      { orderId, customerId: 'c', amount: { amount: 0, currency: 'USD' } },
      { orderId, customerId: 'c', amount: { amount: 10.5, currency: 'USD' } },
      { orderId, customerId: 'c', amount: { amount: '100', currency: 'USD' } },
      { orderId, customerId: 'c', amount: { amount: 100, currency: 'XYZ' } },
      { orderId, customerId: 'c', amount: { amount: 100, currency: 'usd' } },
      { orderId, customerId: 'c', amount: { amount: 100, currency: 'USD' }, cardNumber: '4242424242424242' },
      { customerId: 'c', amount: { amount: 100, currency: 'USD' } },
    ];
    for (const body of bad) {
      const response = await h.post('/payments', body);
      assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.text}`);
      assert.equal((response.body.error as Json).code, 'invalid_request');
      assert.ok(String((response.body.error as Json).message).length > 0);
    }
    assert.equal(await h.count('payments'), before);
    const unknown = await h.get('/payments/pay_doesnotexist');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body.error as Json).code, 'not_found');
    assert.equal((await h.post('/payments/pay_doesnotexist/refunds', { reason: 'x' })).status, 404);
    assert.equal((await h.post('/payments/pay_doesnotexist/confirm', { paymentMethod: 'pm_card_visa' })).status, 404);
    const { id } = await createPayment();
    const badMethod = await h.post(`/payments/${id}/confirm`, { paymentMethod: '4242424242424242' });
    assert.equal(badMethod.status, 400);
    const wrongCurrency = await h.post(`/payments/${id}/refunds`, { amount: { amount: 1, currency: 'EUR' }, reason: 'x' });
    assert.equal(wrongCurrency.status, 400);
    assert.equal((wrongCurrency.body.error as Json).code, 'currency_mismatch');
    const notCaptured = await h.post(`/payments/${id}/refunds`, { reason: 'x' });
    assert.equal(notCaptured.status, 409, 'nothing captured yet: nothing to refund');
    assert.equal(await h.count('refunds', { column: 'payment_id', value: id }), 0);
  });

  test('every POST is idempotent: the same key replays the first answer; another body with it is refused', async () => {
    const orderId = uniqueName('order');
    const body = { orderId, customerId: 'cust_2', amount: { amount: 1_200, currency: 'EUR' } };
    const intentsBefore = h.simulator.stats().intentsCreated;
    const first = await h.post('/payments', body, { 'idempotency-key': `create-${orderId}` });
    const second = await h.post('/payments', body, { 'idempotency-key': `create-${orderId}` });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.text, first.text, 'byte-identical replay');
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(h.simulator.stats().intentsCreated, intentsBefore + 1);
    const reused = await h.post('/payments', { ...body, amount: { amount: 1_300, currency: 'EUR' } }, { 'idempotency-key': `create-${orderId}` });
    assert.equal(reused.status, 422);
    assert.equal((reused.body.error as Json).code, 'idempotency_key_reused');

    const id = first.body.id as string;
    const confirmKey = { 'idempotency-key': `confirm-${orderId}` };
    const c1 = await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_visa' }, confirmKey);
    const c2 = await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_visa' }, confirmKey);
    assert.equal(c1.status, 200);
    assert.equal(c2.text, c1.text);
    const refundKey = { 'idempotency-key': `refund-${orderId}` };
    const r1 = await h.post(`/payments/${id}/refunds`, { amount: { amount: 200, currency: 'EUR' }, reason: 'r' }, refundKey);
    const r2 = await h.post(`/payments/${id}/refunds`, { amount: { amount: 200, currency: 'EUR' }, reason: 'r' }, refundKey);
    assert.equal(r1.status, 201);
    assert.equal(r2.text, r1.text);
    assert.equal(await h.count('refunds', { column: 'payment_id', value: id }), 1, 'one refund');

    const { id: other } = await createPayment();
    const cancelKey = { 'idempotency-key': `cancel-${orderId}` };
    const x1 = await h.post(`/payments/${other}/cancel`, {}, cancelKey);
    const x2 = await h.post(`/payments/${other}/cancel`, {}, cancelKey);
    assert.equal(x1.status, 200);
    assert.equal(x2.text, x1.text);

    // A 4xx wrote nothing, so its key is free for the corrected request.
    const fixKey = { 'idempotency-key': `fix-${orderId}` };
    assert.equal((await h.post(`/payments/${id}/refunds`, { amount: { amount: 999_999, currency: 'EUR' }, reason: 'r' }, fixKey)).status, 400);
    assert.equal((await h.post(`/payments/${id}/refunds`, { amount: { amount: 100, currency: 'EUR' }, reason: 'r' }, fixKey)).status, 201);
  });

  test('two concurrent POSTs with one Idempotency-Key create one payment and one gateway intent', async () => {
    const orderId = uniqueName('order');
    const body = { orderId, customerId: 'cust_3', amount: { amount: 900, currency: 'GBP' } };
    const intentsBefore = h.simulator.stats().intentsCreated;
    h.simulator.setFaults({ latencyMs: 300 });
    try {
      const answers = await Promise.all([0, 1].map(() => h.post('/payments', body, { 'idempotency-key': `concurrent-${orderId}` })));
      assert.deepEqual(answers.map((answer) => answer.status), [201, 201]);
      assert.equal(answers[0]?.text, answers[1]?.text);
    } finally {
      h.simulator.setFaults({ latencyMs: 0 });
    }
    assert.equal(await h.count('payments', { column: 'order_id', value: orderId }), 1);
    assert.equal(h.simulator.stats().intentsCreated, intentsBefore + 1);
  });

  test('a refund request from the order side (payment.refund-initiated on Kafka) is refunded once', async () => {
    const { id, orderId } = await createPayment(3_000);
    assert.equal((await h.post(`/payments/${id}/confirm`, { paymentMethod: 'pm_card_visa' })).status, 200);
    const { createEnvelope } = await import('../../../src/contracts/codec.ts');
    const { PaymentRefundInitiated } = await import('../../../src/contracts/events/payment.ts');
    const { envelopeRecord } = await import('../../../src/platform/messaging/envelope-record.ts');
    const request = createEnvelope(PaymentRefundInitiated, {
      paymentId: id, orderId, refundRequestId: `order-cancel-${orderId}`, amount: null, reason: 'order cancelled by the restaurant',
    }, { source: 'order', key: orderId, correlationId: 'saga-corr-1' });
    await h.transport.publish([envelopeRecord('payment.refund-initiated', request), envelopeRecord('payment.refund-initiated', request)]);
    await eventually('payment.refunded', () => typesOf(orderId).includes('PaymentRefunded'), 20_000);
    const view = await h.get(`/payments/${id}`);
    assert.equal(view.body.status, 'REFUNDED');
    assert.equal((view.body.refunds as Json[]).length, 1);
    const refunded = h.eventsOf(orderId).find((event) => event.type === 'PaymentRefunded');
    assert.equal(refunded?.causationId, request.eventId, 'the refund is traced to the request that caused it');
  });
});
