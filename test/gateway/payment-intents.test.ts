import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import type { GatewaySimulator } from '../../src/gateway/simulator/index.ts';
import { chargeIdOf, expectStripeError, rawCall, startSimulator, stripeFor } from './support/harness.ts';

let simulator: GatewaySimulator;
let stripe: Stripe;

before(async () => {
  ({ simulator, stripe } = await startSimulator());
});
after(() => simulator.close());

async function eventTypesFor(objectId: string): Promise<string[]> {
  const events = await stripe.events.list({ limit: 100 });
  return events.data
    .filter((event) => (event.data.object as { id?: string }).id === objectId || (event.data.object as { payment_intent?: string }).payment_intent === objectId)
    .map((event) => event.type)
    .reverse();
}

describe('creating a PaymentIntent', () => {
  test('starts in requires_payment_method with Stripe fields, the metadata and a client secret', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 2599, currency: 'EUR', metadata: { orderId: 'order-1' }, description: 'two pizzas' });
    assert.match(intent.id, /^pi_\w+$/);
    assert.equal(intent.object, 'payment_intent');
    assert.equal(intent.status, 'requires_payment_method');
    assert.equal(intent.amount, 2599);
    assert.equal(intent.currency, 'eur');
    assert.equal(intent.capture_method, 'automatic');
    assert.equal(intent.amount_capturable, 0);
    assert.equal(intent.amount_received, 0);
    assert.equal(intent.livemode, false);
    assert.equal(intent.latest_charge, null);
    assert.equal(intent.last_payment_error, null);
    assert.deepEqual(intent.metadata, { orderId: 'order-1' });
    assert.equal(intent.description, 'two pizzas');
    assert.ok(intent.client_secret?.startsWith(`${intent.id}_secret_`));
    assert.equal(typeof intent.created, 'number');
    assert.deepEqual(await eventTypesFor(intent.id), ['payment_intent.created']);
    assert.deepEqual(await stripe.paymentIntents.retrieve(intent.id), intent);
  });

  test('with a payment method but no confirm waits in requires_confirmation; confirm then uses it', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' });
    assert.equal(intent.status, 'requires_confirmation');
    assert.equal(intent.payment_method, 'pm_card_visa');
    const confirmed = await stripe.paymentIntents.confirm(intent.id);
    assert.equal(confirmed.status, 'succeeded');
  });

  test('accepts automatic_async capture as an automatic capture', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 700, currency: 'usd', capture_method: 'automatic_async', payment_method: 'pm_card_visa', confirm: true });
    assert.equal(intent.status, 'succeeded');
    assert.equal(intent.amount_received, 700);
  });

  test('rejects bad parameters with Stripe errors naming the parameter, and creates nothing', async () => {
    const { simulator: fresh, stripe: client } = await startSimulator();
    try {
      const cases: [Record<string, unknown>, { code?: string; param: string }][] = [
        [{ currency: 'usd' }, { code: 'parameter_missing', param: 'amount' }],
        [{ amount: 1000 }, { code: 'parameter_missing', param: 'currency' }],
        [{ amount: 'ten', currency: 'usd' }, { code: 'parameter_invalid_integer', param: 'amount' }],
        [{ amount: 0, currency: 'usd' }, { code: 'parameter_invalid_integer', param: 'amount' }],
        [{ amount: -5, currency: 'usd' }, { code: 'parameter_invalid_integer', param: 'amount' }],
        [{ amount: 12.5, currency: 'usd' }, { code: 'parameter_invalid_integer', param: 'amount' }],
        [{ amount: 100_000_000, currency: 'usd' }, { code: 'amount_too_large', param: 'amount' }],
        [{ amount: 1000, currency: 'xyz' }, { param: 'currency' }],
        [{ amount: 1000, currency: 'usd', capture_method: 'later' }, { param: 'capture_method' }],
        [{ amount: 1000, currency: 'usd', payment_method: 'pm_card_unknown' }, { code: 'resource_missing', param: 'payment_method' }],
        [{ amount: 1000, currency: 'usd', confirm: true }, { code: 'parameter_missing', param: 'payment_method' }],
        [{ amount: 1000, currency: 'usd', colour: 'red' }, { code: 'parameter_unknown', param: 'colour' }],
        [{ amount: 1000, currency: 'usd', metadata: { ['k'.repeat(41)]: 'v' } }, { param: `metadata[${'k'.repeat(41)}]` }],
      ];
      for (const [params, expected] of cases) {
        const error = await expectStripeError(client.paymentIntents.create(params as unknown as Stripe.PaymentIntentCreateParams), {
          type: 'StripeInvalidRequestError', rawType: 'invalid_request_error', statusCode: 400, param: expected.param,
        });
        assert.equal(error.code, expected.code, `${JSON.stringify(params)}: ${error.message}`);
      }
      assert.equal(fresh.stats().intentsCreated, 0);
      assert.equal(fresh.stats().eventsCreated, 0);
    } finally {
      await fresh.close();
    }
  });
});

describe('test payment methods', () => {
  for (const paymentMethod of ['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex', 'pm_card_visa_debit']) {
    test(`${paymentMethod} succeeds with a captured charge carrying the intent's metadata`, async () => {
      const intent = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd', metadata: { orderId: paymentMethod } });
      const confirmed = await stripe.paymentIntents.confirm(intent.id, { payment_method: paymentMethod });
      assert.equal(confirmed.status, 'succeeded');
      assert.equal(confirmed.amount_received, 1500);
      assert.equal(confirmed.amount_capturable, 0);
      assert.equal(confirmed.payment_method, paymentMethod);
      assert.match(chargeIdOf(confirmed), /^ch_\w+$/);
      const charge = await stripe.charges.retrieve(chargeIdOf(confirmed));
      assert.equal(charge.status, 'succeeded');
      assert.equal(charge.amount, 1500);
      assert.equal(charge.amount_captured, 1500);
      assert.equal(charge.amount_refunded, 0);
      assert.equal(charge.refunded, false);
      assert.equal(charge.captured, true);
      assert.equal(charge.currency, 'usd');
      assert.equal(charge.payment_intent, intent.id);
      assert.deepEqual(charge.metadata, { orderId: paymentMethod });
      assert.equal(charge.receipt_url, `${simulator.url}/receipts/${charge.id}`);
      assert.deepEqual(await eventTypesFor(intent.id), ['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded']);
    });
  }

  const declines = [
    { paymentMethod: 'pm_card_visa_chargeDeclined', code: 'card_declined', decline_code: 'generic_decline' },
    { paymentMethod: 'pm_card_visa_chargeDeclinedInsufficientFunds', code: 'card_declined', decline_code: 'insufficient_funds' },
    { paymentMethod: 'pm_card_visa_chargeDeclinedLostCard', code: 'card_declined', decline_code: 'lost_card' },
    { paymentMethod: 'pm_card_visa_chargeDeclinedStolenCard', code: 'card_declined', decline_code: 'stolen_card' },
    { paymentMethod: 'pm_card_chargeDeclinedProcessingError', code: 'processing_error', decline_code: undefined },
    { paymentMethod: 'pm_card_chargeDeclinedExpiredCard', code: 'expired_card', decline_code: undefined },
    { paymentMethod: 'pm_card_chargeDeclinedIncorrectCvc', code: 'incorrect_cvc', decline_code: undefined },
  ];
  for (const { paymentMethod, code, decline_code } of declines) {
    test(`${paymentMethod} is declined with ${code}${decline_code === undefined ? '' : `/${decline_code}`} (402) and the intent can be retried`, async () => {
      const intent = await stripe.paymentIntents.create({ amount: 1200, currency: 'usd', metadata: { orderId: 'o-declined' } });
      const error = await expectStripeError(stripe.paymentIntents.confirm(intent.id, { payment_method: paymentMethod }), {
        // The SDK's StripeCardError turns an absent decline_code into ''.
        type: 'StripeCardError', rawType: 'card_error', code, decline_code: decline_code ?? '', statusCode: 402,
      });
      assert.equal(error.payment_intent?.id, intent.id);
      assert.equal(error.payment_intent?.status, 'requires_payment_method');
      assert.match(String(error.charge), /^ch_\w+$/);
      assert.ok(error.doc_url?.endsWith(code.replaceAll('_', '-')));

      const failed = await stripe.paymentIntents.retrieve(intent.id);
      assert.equal(failed.status, 'requires_payment_method');
      assert.equal(failed.payment_method, null);
      assert.equal(failed.amount_received, 0);
      assert.equal(failed.last_payment_error?.type, 'card_error');
      assert.equal(failed.last_payment_error.code, code);
      assert.equal(failed.last_payment_error.decline_code, decline_code);
      assert.equal(failed.last_payment_error.payment_method?.id, paymentMethod);
      const charge = await stripe.charges.retrieve(chargeIdOf(failed));
      assert.equal(charge.status, 'failed');
      assert.equal(charge.failure_code, code);
      assert.deepEqual(await eventTypesFor(intent.id), ['payment_intent.created', 'charge.failed', 'payment_intent.payment_failed']);

      const retried = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
      assert.equal(retried.status, 'succeeded');
      assert.equal(retried.last_payment_error, null);
    });
  }

  test('a decline on create with confirm=true still creates the intent, in requires_payment_method', async () => {
    const error = await expectStripeError(
      stripe.paymentIntents.create({ amount: 900, currency: 'usd', payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds', confirm: true }),
      { rawType: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', statusCode: 402 },
    );
    const intent = await stripe.paymentIntents.retrieve(String(error.payment_intent?.id));
    assert.equal(intent.status, 'requires_payment_method');
    assert.equal(intent.last_payment_error?.decline_code, 'insufficient_funds');
  });

  test('confirming without any payment method is refused', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await expectStripeError(stripe.paymentIntents.confirm(intent.id), { statusCode: 400, code: 'payment_intent_unexpected_state', param: 'payment_method' });
  });
});

describe('manual capture', () => {
  test('authorises, then captures the full amount', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 5000, currency: 'usd', capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
    assert.equal(intent.status, 'requires_capture');
    assert.equal(intent.amount_capturable, 5000);
    assert.equal(intent.amount_received, 0);
    const authorised = await stripe.charges.retrieve(chargeIdOf(intent));
    assert.equal(authorised.captured, false);
    assert.equal(authorised.amount_captured, 0);

    const captured = await stripe.paymentIntents.capture(intent.id);
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount_received, 5000);
    assert.equal(captured.amount_capturable, 0);
    const charge = await stripe.charges.retrieve(chargeIdOf(captured));
    assert.equal(charge.captured, true);
    assert.equal(charge.amount_captured, 5000);
    assert.deepEqual(await eventTypesFor(intent.id), [
      'payment_intent.created', 'charge.succeeded', 'payment_intent.amount_capturable_updated', 'charge.captured', 'payment_intent.succeeded',
    ]);
  });

  test('a partial capture receives part and releases the rest; more than capturable is refused', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', capture_method: 'manual', payment_method: 'pm_card_mastercard', confirm: true });
    await expectStripeError(stripe.paymentIntents.capture(intent.id, { amount_to_capture: 1001 }), {
      rawType: 'invalid_request_error', code: 'amount_too_large', param: 'amount_to_capture', statusCode: 400,
    });
    assert.equal((await stripe.paymentIntents.retrieve(intent.id)).status, 'requires_capture');

    const captured = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 600 });
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount_received, 600);
    assert.equal(captured.amount_capturable, 0);
    const charge = await stripe.charges.retrieve(chargeIdOf(captured));
    assert.equal(charge.amount_captured, 600);
    assert.equal(charge.amount_refunded, 400, 'the released remainder shows as refunded on the charge, as on Stripe');
    assert.equal(charge.refunded, false);

    await expectStripeError(stripe.paymentIntents.capture(intent.id), { code: 'payment_intent_unexpected_state', statusCode: 400 });
  });

  test('capture is refused before authorisation', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', capture_method: 'manual' });
    const error = await expectStripeError(stripe.paymentIntents.capture(intent.id), { code: 'payment_intent_unexpected_state', statusCode: 400 });
    assert.equal(error.payment_intent?.status, 'requires_payment_method');
  });
});

describe('cancel', () => {
  test('from requires_payment_method records the reason and time', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const canceled = await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'requested_by_customer' });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancellation_reason, 'requested_by_customer');
    assert.equal(typeof canceled.canceled_at, 'number');
    assert.deepEqual(await eventTypesFor(intent.id), ['payment_intent.created', 'payment_intent.canceled']);
  });

  test('from requires_capture releases the authorisation', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', capture_method: 'manual', payment_method: 'pm_card_visa', confirm: true });
    const canceled = await stripe.paymentIntents.cancel(intent.id);
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.amount_capturable, 0);
    assert.equal(canceled.amount_received, 0);
    assert.equal(canceled.cancellation_reason, null);
    const charge = await stripe.charges.retrieve(chargeIdOf(canceled));
    assert.equal(charge.amount_refunded, 1000);
    assert.equal(charge.refunded, true);
  });

  test('from requires_action and requires_confirmation', async () => {
    const challenged = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_authenticationRequired', confirm: true });
    assert.equal((await stripe.paymentIntents.cancel(challenged.id)).status, 'canceled');
    const unconfirmed = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' });
    assert.equal((await stripe.paymentIntents.cancel(unconfirmed.id)).status, 'canceled');
  });

  test('is refused from succeeded, and an invalid reason is refused', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    const error = await expectStripeError(stripe.paymentIntents.cancel(intent.id), {
      type: 'StripeInvalidRequestError', code: 'payment_intent_unexpected_state', statusCode: 400,
    });
    assert.equal(error.payment_intent?.status, 'succeeded');
    const open = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await expectStripeError(stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'bored' as Stripe.PaymentIntentCancelParams.CancellationReason }), {
      statusCode: 400, param: 'cancellation_reason',
    });
  });

  test('after cancel every operation on the intent fails and the state stays canceled', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await stripe.paymentIntents.cancel(intent.id);
    const expected = { code: 'payment_intent_unexpected_state', statusCode: 400 };
    await expectStripeError(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' }), expected);
    await expectStripeError(stripe.paymentIntents.capture(intent.id), expected);
    await expectStripeError(stripe.paymentIntents.cancel(intent.id), expected);
    await expectStripeError(stripe.paymentIntents.update(intent.id, { metadata: { late: 'yes' } }), expected);
    await expectStripeError(stripe.refunds.create({ payment_intent: intent.id }), { statusCode: 400, rawType: 'invalid_request_error' });
    const after = await stripe.paymentIntents.retrieve(intent.id);
    assert.equal(after.status, 'canceled');
    assert.deepEqual(after.metadata, {});
  });
});

describe('the 3DS card (pm_card_authenticationRequired)', () => {
  test('requires_action with a redirect to the simulator; authenticating succeeds the payment', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 3000, currency: 'gbp', payment_method: 'pm_card_authenticationRequired', confirm: true });
    assert.equal(intent.status, 'requires_action');
    assert.deepEqual(intent.next_action, {
      type: 'redirect_to_url',
      redirect_to_url: { url: `${simulator.url}/_simulator/authenticate/${intent.id}`, return_url: null },
    });
    assert.equal(intent.latest_charge, null);

    const page = await rawCall(simulator, 'POST', `/_simulator/authenticate/${intent.id}`, { json: { outcome: 'succeed' }, auth: false });
    assert.equal(page.status, 200, page.body);
    assert.equal((JSON.parse(page.body) as { status: string }).status, 'succeeded');
    const after = await stripe.paymentIntents.retrieve(intent.id);
    assert.equal(after.status, 'succeeded');
    assert.equal(after.amount_received, 3000);
    assert.equal(after.next_action, null);
    assert.deepEqual(await eventTypesFor(intent.id), ['payment_intent.created', 'payment_intent.requires_action', 'charge.succeeded', 'payment_intent.succeeded']);
  });

  test('with manual capture, authenticating leads to requires_capture (form body, default outcome)', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 3000, currency: 'usd', capture_method: 'manual', payment_method: 'pm_card_threeDSecure2Required', confirm: true });
    const page = await rawCall(simulator, 'POST', `/_simulator/authenticate/${intent.id}`, { form: '', auth: false });
    assert.equal(page.status, 200, page.body);
    assert.equal((await stripe.paymentIntents.retrieve(intent.id)).status, 'requires_capture');
  });

  test('a failed authentication returns the intent to requires_payment_method', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 3000, currency: 'usd', payment_method: 'pm_card_authenticationRequired', confirm: true });
    const page = await rawCall(simulator, 'POST', `/_simulator/authenticate/${intent.id}`, { form: 'outcome=fail', auth: false });
    assert.equal(page.status, 200, page.body);
    const after = await stripe.paymentIntents.retrieve(intent.id);
    assert.equal(after.status, 'requires_payment_method');
    assert.equal(after.last_payment_error?.code, 'payment_intent_authentication_failure');
    assert.equal(after.payment_method, null);
    assert.deepEqual(await eventTypesFor(intent.id), ['payment_intent.created', 'payment_intent.requires_action', 'payment_intent.payment_failed']);
    const again = await rawCall(simulator, 'POST', `/_simulator/authenticate/${intent.id}`, { json: {}, auth: false });
    assert.equal(again.status, 400);
    assert.equal((JSON.parse(again.body) as { error: { code: string } }).error.code, 'payment_intent_unexpected_state');
  });

  test('a browser GET redirects to the return_url given on confirm', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 3000, currency: 'usd' });
    const challenged = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_authenticationRequired', return_url: 'https://shop.example/return' });
    assert.equal(challenged.next_action?.redirect_to_url?.return_url, 'https://shop.example/return');
    const page = await rawCall(simulator, 'GET', `/_simulator/authenticate/${intent.id}?outcome=succeed`, { auth: false });
    assert.equal(page.status, 302);
    const location = new URL(page.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, 'https://shop.example/return');
    assert.equal(location.searchParams.get('payment_intent'), intent.id);
    assert.equal(location.searchParams.get('redirect_status'), 'succeeded');
  });

  test('an invalid outcome is refused and changes nothing', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 3000, currency: 'usd', payment_method: 'pm_card_authenticationRequired', confirm: true });
    const page = await rawCall(simulator, 'POST', `/_simulator/authenticate/${intent.id}`, { json: { outcome: 'maybe' }, auth: false });
    assert.equal(page.status, 400);
    assert.equal((await stripe.paymentIntents.retrieve(intent.id)).status, 'requires_action');
  });
});

describe('update, retrieve, expand and events', () => {
  test('update sets and unsets metadata; the older event keeps the older snapshot', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', metadata: { orderId: 'o-7', step: 'one' } });
    const updated = await stripe.paymentIntents.update(intent.id, { metadata: { step: '', courier: 'c-1' } });
    assert.deepEqual(updated.metadata, { orderId: 'o-7', courier: 'c-1' });
    const created = (await stripe.events.list({ type: 'payment_intent.created', limit: 100 })).data.find((event) => (event.data.object as Stripe.PaymentIntent).id === intent.id);
    assert.deepEqual((created?.data.object as Stripe.PaymentIntent).metadata, { orderId: 'o-7', step: 'one' });
    const confirmed = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    assert.deepEqual((await stripe.charges.retrieve(chargeIdOf(confirmed))).metadata, { orderId: 'o-7', courier: 'c-1' });
  });

  test('expand[] replaces latest_charge with the charge object', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, expand: ['latest_charge'] });
    const charge = intent.latest_charge as Stripe.Charge;
    assert.equal(charge.object, 'charge');
    assert.equal(charge.payment_intent, intent.id);
    const retrieved = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] });
    assert.equal((retrieved.latest_charge as Stripe.Charge).id, charge.id);
    await expectStripeError(stripe.paymentIntents.retrieve(intent.id, { expand: ['customer'] }), { statusCode: 400, param: 'expand' });
  });

  test('an event is retrievable by id with the request that caused it', async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'order-42-create' });
    const listed = (await stripe.events.list({ limit: 100 })).data.find((event) => (event.data.object as Stripe.PaymentIntent).id === intent.id);
    assert.ok(listed);
    const event = await stripe.events.retrieve(listed.id);
    assert.equal(event.object, 'event');
    assert.equal(event.livemode, false);
    assert.equal(event.pending_webhooks, 0);
    assert.equal(event.request?.idempotency_key, 'order-42-create');
    assert.match(String(event.request?.id), /^req_\w+$/);
    assert.equal(event.request?.id, intent.lastResponse.requestId);
  });
});

describe('errors, routes and authentication', () => {
  test('unknown ids are 404 resource_missing on param id', async () => {
    await expectStripeError(stripe.paymentIntents.retrieve('pi_missing'), { type: 'StripeInvalidRequestError', code: 'resource_missing', param: 'id', statusCode: 404 });
    await expectStripeError(stripe.paymentIntents.confirm('pi_missing', { payment_method: 'pm_card_visa' }), { code: 'resource_missing', statusCode: 404 });
    await expectStripeError(stripe.charges.retrieve('ch_missing'), { code: 'resource_missing', param: 'id', statusCode: 404 });
    await expectStripeError(stripe.refunds.retrieve('re_missing'), { code: 'resource_missing', statusCode: 404 });
    await expectStripeError(stripe.events.retrieve('evt_missing'), { code: 'resource_missing', statusCode: 404 });
  });

  test('unknown routes are 404 with a Stripe-shaped error and a Request-Id', async () => {
    const response = await rawCall(simulator, 'GET', '/v1/customers');
    assert.equal(response.status, 404);
    assert.equal((JSON.parse(response.body) as { error: { type: string } }).error.type, 'invalid_request_error');
    assert.match(response.headers.get('request-id') ?? '', /^req_\w+$/);
    assert.equal((await rawCall(simulator, 'GET', '/nowhere', { auth: false })).status, 404);
  });

  test('a missing or non-test API key is 401', async () => {
    const missing = await rawCall(simulator, 'GET', '/v1/events', { auth: false });
    assert.equal(missing.status, 401);
    assert.equal((JSON.parse(missing.body) as { error: { type: string } }).error.type, 'invalid_request_error');
    const live = new Stripe('sk_live_not_here', { host: simulator.host, port: simulator.port, protocol: 'http', maxNetworkRetries: 0 });
    await expectStripeError(live.paymentIntents.create({ amount: 100, currency: 'usd' }), { type: 'StripeAuthenticationError', statusCode: 401 });
    const basic = await rawCall(simulator, 'GET', '/v1/events', { auth: false, headers: { Authorization: `Basic ${Buffer.from('sk_test_curl:').toString('base64')}` } });
    assert.equal(basic.status, 200);
  });

  test('nested form parameters with brackets are parsed, in any order', async () => {
    const client = stripeFor(simulator);
    const intent = await client.paymentIntents.create({ amount: 100, currency: 'usd', metadata: { 'a b': 'x&y=z', orderId: 'ümlaut' } });
    assert.deepEqual(intent.metadata, { 'a b': 'x&y=z', orderId: 'ümlaut' });
    const raw = await rawCall(simulator, 'POST', '/v1/payment_intents', { form: 'metadata%5Bk%5D=v&currency=usd&amount=5&expand[]=latest_charge&payment_method_types[0]=card' });
    assert.equal(raw.status, 200, raw.body);
    assert.deepEqual((JSON.parse(raw.body) as { metadata: unknown }).metadata, { k: 'v' });
  });
});
