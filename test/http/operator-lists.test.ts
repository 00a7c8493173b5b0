import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { eventually } from '../support/env.ts';
import { EmbeddedPlatform, type PaidOrder } from './embedded-platform.ts';

type Json = Record<string, unknown>;

/** The read-only lists the dashboard adds to the API: every saga (filtered), the newest payments, the metrics as JSON. */
describe('operator lists: GET /sagas and GET /payments without an order (admins), GET /metrics/summary', () => {
  let platform: EmbeddedPlatform;
  let admin = '';
  let paid: PaidOrder;
  let pendingSagaId = '';

  before(async () => {
    platform = await EmbeddedPlatform.start();
    admin = await platform.token('admin', 'ops-1');
    paid = await platform.paidOrder({ customerId: 'cust-lists', restaurantId: 'resto-1', courierId: 'courier-lists', productId: 'margherita', unitPrice: 1_200 });
    const pending = await platform.call('POST', '/checkout', await platform.token('customer', 'cust-waiting'), {
      restaurantId: 'resto-1', deliveryAddress: '3 Side Street',
      items: [{ productId: 'margherita', name: 'Pizza Margherita', quantity: 1, unitPrice: { amount: 1_200, currency: 'USD' } }],
    });
    assert.equal(pending.status, 201, pending.text);
    pendingSagaId = String(pending.body.sagaId);
  });
  after(async () => { await platform.stop(); });

  const ids = (body: Json, key: 'sagas' | 'payments'): string[] => (body[key] as { id: string }[]).map((item) => item.id);

  test('sagas: by state, type, customer and age; summaries with total and customer', async () => {
    const all = await platform.call('GET', '/sagas', admin);
    assert.equal(all.status, 200, all.text);
    assert.ok(ids(all.body, 'sagas').includes(paid.sagaId) && ids(all.body, 'sagas').includes(pendingSagaId));
    const row = (all.body.sagas as Json[]).find((saga) => saga.id === paid.sagaId);
    assert.deepEqual([row?.type, row?.status, row?.customerId, row?.total], ['checkout', 'COMPLETED', 'cust-lists', { amount: 1_200, currency: 'USD' }]);

    const running = await platform.call('GET', '/sagas?status=RUNNING', admin);
    assert.deepEqual(ids(running.body, 'sagas'), [pendingSagaId]);
    const ofCustomer = await platform.call('GET', '/sagas?customerId=cust-lists', admin);
    assert.deepEqual(ids(ofCustomer.body, 'sagas'), [paid.sagaId]);
    assert.deepEqual(ids((await platform.call('GET', '/sagas?type=partial-refund', admin)).body, 'sagas'), []);
    assert.equal(ids((await platform.call('GET', '/sagas?newerThanSeconds=3600', admin)).body, 'sagas').length, 2);
    assert.deepEqual(ids((await platform.call('GET', '/sagas?olderThanSeconds=3600', admin)).body, 'sagas'), []);
    assert.equal(ids((await platform.call('GET', '/sagas?limit=1', admin)).body, 'sagas').length, 1);
  });

  test('sagas: stuck are the active ones whose command was resent, whose deadline passed, or idle too long', async () => {
    assert.deepEqual(ids((await platform.call('GET', '/sagas?stuck=true', admin)).body, 'sagas'), [], 'a fresh wait for payment is not stuck');
    // The waiting checkout's command had to be resent twice (as after dead-lettered or unanswered commands): now it needs a look.
    await sql`update saga.saga_instances set attempts = 2 where id = ${pendingSagaId}`.execute(platform.started.db);
    const stuck = await platform.call('GET', '/sagas?stuck=true', admin);
    assert.deepEqual(ids(stuck.body, 'sagas'), [pendingSagaId]);
    assert.equal((stuck.body.sagas as Json[])[0]?.resends, 2);
    assert.deepEqual(ids((await platform.call('GET', '/sagas?stuck=true&status=COMPLETED', admin)).body, 'sagas'), [], 'an ended saga is never stuck');
    await sql`update saga.saga_instances set attempts = 0 where id = ${pendingSagaId}`.execute(platform.started.db);
  });

  test('only admins list every saga or payment; anyone party to an order still lists its own', async () => {
    for (const role of ['customer', 'restaurant'] as const) {
      const token = await platform.token(role, role === 'customer' ? 'cust-lists' : 'resto-1');
      assert.equal((await platform.call('GET', '/sagas', token)).status, 403, role);
      assert.equal((await platform.call('GET', '/payments', token)).status, 403, role);
      assert.equal((await platform.call('GET', `/sagas?orderId=${paid.orderId}`, token)).status, 200, role);
    }
    assert.equal((await platform.call('GET', '/sagas?status=nope', admin)).status, 400);
    assert.equal((await platform.call('GET', '/sagas?limit=-1', admin)).status, 400);
  });

  test('payments: the newest, with their refunds, by status; never a client secret', async () => {
    const refund = await platform.call('POST', `/payments/${paid.paymentId}/refunds`, admin, { amount: { amount: 200, currency: 'USD' }, reason: 'cold pizza' });
    assert.ok([201, 202].includes(refund.status), refund.text);
    await eventually('the refund listed', async () => {
      const listed = await platform.call('GET', '/payments', admin);
      const payment = (listed.body.payments as { id: string; refunds: { reason: string }[] }[]).find((item) => item.id === paid.paymentId);
      return payment?.refunds.some((item) => item.reason === 'cold pizza');
    });
    const listed = await platform.call('GET', '/payments', admin);
    assert.ok(!listed.text.includes(paid.clientSecret), 'an admin never sees a client secret');
    assert.equal(ids(listed.body, 'payments').length, 2);
    assert.deepEqual(ids((await platform.call('GET', '/payments?status=PENDING', admin)).body, 'payments').length, 1);
    assert.equal((await platform.call('GET', '/payments?status=LOST', admin)).status, 400);
  });

  test('metrics summary: the charted series as JSON, for admins only', async () => {
    assert.equal((await platform.call('GET', '/metrics/summary', await platform.token('customer', 'cust-lists'))).status, 403);
    const summary = await platform.call('GET', '/metrics/summary', admin);
    assert.equal(summary.status, 200, summary.text);
    const samples = summary.body.samples as { name: string; labels: Json; value: number }[];
    const started = samples.filter((sample) => sample.name === 'paysaga_sagas_started_total' && sample.labels.type === 'checkout');
    assert.equal(started.reduce((total, sample) => total + sample.value, 0), 2);
    assert.ok(samples.some((sample) => sample.name === 'paysaga_consumer_lag'), 'lag per group and partition');
    assert.ok(samples.some((sample) => sample.name === 'paysaga_money_at_risk_minor_units' && sample.labels.currency === 'USD' && sample.value === 1_200), 'the waiting checkout is money at risk');
  });
});
