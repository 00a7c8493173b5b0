import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import type { GatewaySimulator } from '../../src/gateway/simulator/index.ts';
import { chargeIdOf, expectStripeError, startSimulator } from './support/harness.ts';

let simulator: GatewaySimulator;
let stripe: Stripe;

before(async () => {
  ({ simulator, stripe } = await startSimulator());
});
after(() => simulator.close());

async function paidIntent(amount: number, metadata: Record<string, string> = {}): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.create({ amount, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata });
}

test('two partial refunds then the rest: amounts, charge totals, metadata and events', async () => {
  const intent = await paidIntent(1000, { orderId: 'order-9' });
  const chargeId = chargeIdOf(intent);

  const first = await stripe.refunds.create({ payment_intent: intent.id, amount: 300, reason: 'requested_by_customer', metadata: { line: 'drink' } });
  assert.match(first.id, /^re_\w+$/);
  assert.equal(first.object, 'refund');
  assert.equal(first.status, 'succeeded');
  assert.equal(first.amount, 300);
  assert.equal(first.charge, chargeId);
  assert.equal(first.payment_intent, intent.id);
  assert.equal(first.currency, 'usd');
  assert.equal(first.reason, 'requested_by_customer');
  assert.deepEqual(first.metadata, { orderId: 'order-9', line: 'drink' });
  let charge = await stripe.charges.retrieve(chargeId);
  assert.equal(charge.amount_refunded, 300);
  assert.equal(charge.refunded, false);

  await stripe.refunds.create({ payment_intent: intent.id, amount: 200 });
  charge = await stripe.charges.retrieve(chargeId);
  assert.equal(charge.amount_refunded, 500);
  assert.equal(charge.refunded, false);

  const rest = await stripe.refunds.create({ payment_intent: intent.id });
  assert.equal(rest.amount, 500, 'no amount refunds everything not yet refunded');
  assert.deepEqual(rest.metadata, { orderId: 'order-9' });
  charge = await stripe.charges.retrieve(chargeId);
  assert.equal(charge.amount_refunded, 1000);
  assert.equal(charge.refunded, true);

  const intentAfter = await stripe.paymentIntents.retrieve(intent.id);
  assert.equal(intentAfter.status, 'succeeded');
  assert.equal(intentAfter.amount_received, 1000);
  assert.deepEqual(await stripe.refunds.retrieve(first.id), first);

  const refundedEvents = (await stripe.events.list({ type: 'charge.refunded', limit: 100 })).data
    .filter((event) => (event.data.object as Stripe.Charge).id === chargeId)
    .map((event) => (event.data.object as Stripe.Charge).amount_refunded);
  assert.deepEqual(refundedEvents, [1000, 500, 300], 'one charge.refunded per refund, each a snapshot (newest first)');
  const created = (await stripe.events.list({ type: 'refund.created', limit: 100 })).data
    .filter((event) => (event.data.object as Stripe.Refund).payment_intent === intent.id);
  assert.equal(created.length, 3);
});

test('an over-refund is refused with amount_too_large and changes nothing', async () => {
  const intent = await paidIntent(1000);
  await stripe.refunds.create({ payment_intent: intent.id, amount: 400 });
  await expectStripeError(stripe.refunds.create({ payment_intent: intent.id, amount: 601 }), {
    type: 'StripeInvalidRequestError', rawType: 'invalid_request_error', code: 'amount_too_large', param: 'amount', statusCode: 400,
  });
  assert.equal((await stripe.charges.retrieve(chargeIdOf(intent))).amount_refunded, 400);
  assert.equal((await stripe.refunds.create({ payment_intent: intent.id, amount: 600 })).amount, 600);
});

test('a fully refunded charge answers charge_already_refunded', async () => {
  const intent = await paidIntent(800);
  await stripe.refunds.create({ payment_intent: intent.id });
  await expectStripeError(stripe.refunds.create({ payment_intent: intent.id }), { code: 'charge_already_refunded', statusCode: 400 });
  await expectStripeError(stripe.refunds.create({ payment_intent: intent.id, amount: 1 }), { code: 'charge_already_refunded', statusCode: 400 });
});

test('a refund by charge id works like one by payment intent', async () => {
  const intent = await paidIntent(1000);
  const refund = await stripe.refunds.create({ charge: chargeIdOf(intent), amount: 250, expand: ['charge'] });
  assert.equal(refund.payment_intent, intent.id);
  assert.equal((refund.charge as Stripe.Charge).amount_refunded, 250);
});

test('an uncaptured or unpaid intent cannot be refunded (cancel it instead)', async () => {
  const refundsBefore = simulator.stats().refundsCreated;
  const uncaptured = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
  await expectStripeError(stripe.refunds.create({ payment_intent: uncaptured.id }), {
    type: 'StripeInvalidRequestError', rawType: 'invalid_request_error', code: 'charge_not_refundable', statusCode: 400,
  });
  await expectStripeError(stripe.refunds.create({ charge: chargeIdOf(uncaptured) }), { rawType: 'invalid_request_error', statusCode: 400 });
  const unpaid = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
  await expectStripeError(stripe.refunds.create({ payment_intent: unpaid.id }), { rawType: 'invalid_request_error', statusCode: 400 });
  assert.equal(simulator.stats().refundsCreated, refundsBefore);
});

test('after a partial capture only the captured amount can be refunded', async () => {
  const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
  await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 700 });
  await expectStripeError(stripe.refunds.create({ payment_intent: intent.id, amount: 701 }), { code: 'amount_too_large', statusCode: 400 });
  const refund = await stripe.refunds.create({ payment_intent: intent.id });
  assert.equal(refund.amount, 700);
  const charge = await stripe.charges.retrieve(chargeIdOf(intent));
  assert.equal(charge.amount_refunded, 1000);
  assert.equal(charge.refunded, true);
});

test('refund parameters are validated before anything happens', async () => {
  const intent = await paidIntent(500);
  const before = simulator.stats().refundsCreated;
  await expectStripeError(stripe.refunds.create({}), { code: 'parameter_missing', statusCode: 400 });
  await expectStripeError(stripe.refunds.create({ payment_intent: intent.id, amount: 0 }), { code: 'parameter_invalid_integer', param: 'amount', statusCode: 400 });
  await expectStripeError(stripe.refunds.create({ payment_intent: intent.id, reason: 'changed_mind' as Stripe.RefundCreateParams.Reason }), { param: 'reason', statusCode: 400 });
  await expectStripeError(stripe.refunds.create({ payment_intent: 'pi_missing' }), { code: 'resource_missing', param: 'payment_intent', statusCode: 404 });
  await expectStripeError(stripe.refunds.create({ charge: 'ch_missing' }), { code: 'resource_missing', param: 'charge', statusCode: 404 });
  const other = await paidIntent(500);
  await expectStripeError(stripe.refunds.create({ payment_intent: intent.id, charge: chargeIdOf(other) }), { param: 'charge', statusCode: 400 });
  assert.equal(simulator.stats().refundsCreated, before);
});
