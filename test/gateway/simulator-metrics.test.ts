import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertValidExposition, sampleValue } from '../support/promtool.ts';
import { startSimulator } from './support/harness.ts';

test('the simulator serves its stats on /metrics, valid for promtool', async () => {
  const { simulator, stripe } = await startSimulator();
  try {
    await stripe.paymentIntents.create({ amount: 1_000, currency: 'usd' });
    await stripe.paymentIntents.create({ amount: 2_000, currency: 'usd' });
    const response = await fetch(`${simulator.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    await assertValidExposition(text, 'the gateway simulator');
    assert.equal(sampleValue(text, 'paysaga_simulator_intents_created_total'), 2);
    assert.equal(sampleValue(text, 'paysaga_simulator_faults_injected_total', { kind: 'errors' }), 0);
  } finally {
    await simulator.close();
  }
});
