import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SERVICE_NAMES } from '../../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../../src/cli/start.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { MarketplaceClient } from '../../e2e/marketplace-client.ts';
import { eventually } from '../../support/env.ts';
import { assertValidExposition, sampleValue } from '../../support/promtool.ts';

type Json = Record<string, unknown>;

describe('metrics and health of the embedded process', () => {
  let started: StartedPlatform;
  let client: MarketplaceClient;
  before(async () => {
    started = await startPlatform({ ...loadConfig({ NOTIFICATION_LOG_FILE: '/dev/null' }), httpPort: 0 }, { services: SERVICE_NAMES, installSignals: false });
    const url = started.url;
    client = await MarketplaceClient.create({ checkout: url, payment: url, order: url, inventory: url, delivery: url, notification: url }, started.authSecret);
  });
  after(async () => { await started.stop(); });

  const scrape = async (): Promise<string> => {
    const response = await fetch(`${started.url}/metrics`);
    assert.equal(response.status, 200, 'no token needed for /metrics');
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  test('promtool accepts /metrics, which carries the seed\'s names', async () => {
    const text = await scrape();
    await assertValidExposition(text, 'the embedded process');
    for (const name of ['payment_events_published_total', 'payment_events_consumed_total', 'payment_event_processing_duration_seconds', 'payment_event_failures_total', 'payment_success_rate', 'payment_refund_rate']) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.ok(sampleValue(text, 'process_cpu_user_seconds_total') !== undefined, 'default process metrics');
  });

  test('after N completed checkouts the saga and payment counters say N', async () => {
    const N = 3;
    for (let index = 0; index < N; index += 1) {
      const checkout = await client.checkout(1);
      assert.equal(checkout.status, 201, checkout.text);
      assert.equal((await client.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
      await client.sagaReaches(String(checkout.body.sagaId), 'COMPLETED');
    }
    const counted = (text: string) => ({
      started: sampleValue(text, 'paysaga_sagas_started_total', { type: 'checkout' }),
      completed: sampleValue(text, 'paysaga_sagas_completed_total', { type: 'checkout' }),
      compensated: sampleValue(text, 'paysaga_sagas_compensated_total', { type: 'checkout' }),
      durations: sampleValue(text, 'paysaga_saga_duration_seconds_count', { type: 'checkout', outcome: 'completed' }),
      paymentStepDurations: sampleValue(text, 'paysaga_saga_step_duration_seconds_count', { type: 'checkout', step: 'await-payment', outcome: 'succeeded' }),
      succeeded: sampleValue(text, 'paysaga_payment_outcomes_total', { outcome: 'succeeded' }),
      published: sampleValue(text, 'payment_events_published_total', { topic: 'payment.completed', type: 'PaymentCompleted' }),
      consumed: sampleValue(text, 'payment_events_consumed_total', { group: 'saga', topic: 'payment.completed', type: 'PaymentCompleted' }),
      processed: sampleValue(text, 'payment_event_processing_duration_seconds_count', { group: 'saga', topic: 'payment.completed' }),
      checkouts: sampleValue(text, 'paysaga_http_requests_total', { route: '/checkout', method: 'POST', status: '201' }),
      intents: sampleValue(text, 'paysaga_gateway_calls_total', { operation: 'payment_intents.create', outcome: 'ok' }),
      successRate: sampleValue(text, 'payment_success_rate'),
    });
    const expected = { started: N, completed: N, compensated: undefined, durations: N, paymentStepDurations: N, succeeded: N, published: N, consumed: N, processed: N, checkouts: N, intents: N, successRate: 1 };
    let last: ReturnType<typeof counted> | undefined;
    await eventually('every counter at N', async () => {
      last = counted(await scrape());
      return JSON.stringify(last) === JSON.stringify(expected);
    }, 30_000).catch((error: unknown) => { throw new Error(`${String(error)}; last scrape: ${JSON.stringify(last)}`); });
    const text = await scrape();
    assert.equal(sampleValue(text, 'paysaga_money_at_risk_minor_units', { currency: 'USD' }), undefined, 'nothing at risk once every checkout ended');
    assert.equal(sampleValue(text, 'paysaga_sagas_stuck', { type: 'checkout', reason: 'no_progress' }), undefined, 'no active checkout, so no stuck one');
    assert.equal(sampleValue(text, 'paysaga_outbox_backlog', { schema: 'saga' }), 0);
    assert.equal(sampleValue(text, 'paysaga_metrics_source_up', { source: 'outbox:saga' }), 1);
  });

  test('a checkout waiting for its payment is money at risk until it ends', async () => {
    const checkout = await client.checkout(2);
    assert.equal(checkout.status, 201, checkout.text);
    await eventually('the waiting checkout counted at risk', async () => sampleValue(await scrape(), 'paysaga_money_at_risk_minor_units', { currency: 'USD' }) === 2_400);
    const text = await scrape();
    assert.equal(sampleValue(text, 'paysaga_sagas_active', { type: 'checkout', status: 'RUNNING' }), 1);
    assert.equal(sampleValue(text, 'paysaga_sagas_stuck', { type: 'checkout', reason: 'no_progress' }), 0, 'waiting for its customer is not stuck');
    assert.equal((await client.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
    await client.sagaReaches(String(checkout.body.sagaId), 'COMPLETED');
    await eventually('nothing at risk again', async () => sampleValue(await scrape(), 'paysaga_money_at_risk_minor_units', { currency: 'USD' }) === undefined);
  });

  test('/health in the seeds\' shape, /health/ready and /health/live answer without a token', async () => {
    const health = await fetch(`${started.url}/health`);
    assert.equal(health.status, 200);
    const body = await health.json() as Json & Record<string, Json>;
    assert.equal(body.status, 'healthy');
    for (const component of ['transport', 'database', 'consumers', 'outbox', 'gateway']) assert.equal(body[component]?.status, 'healthy', component);
    assert.deepEqual(Object.keys(body.consumers?.groups as Json).sort(), ['delivery', 'inventory', 'notification', 'order', 'payment', 'saga']);
    assert.equal(body.gateway?.breaker, 'closed');
    const ready = await fetch(`${started.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal((await ready.json() as Json).status, 'ready');
    assert.deepEqual(await (await fetch(`${started.url}/health/live`)).json(), { status: 'ok' });
  });
});
