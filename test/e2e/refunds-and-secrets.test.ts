import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { EVENT_TOPICS } from '../../src/contracts/catalogue.ts';
import { withDerivedTopics } from '../../src/contracts/topics.ts';
import type { Role } from '../../src/platform/http/auth.ts';
import type { IncomingRecord, Subscription } from '../../src/platform/messaging/transport.ts';
import { eventually, uniqueName } from '../support/env.ts';
import { PIZZA } from './marketplace-client.ts';
import { startPostgresPlatform, type PostgresPlatform } from './postgres-platform.ts';

type Json = Record<string, unknown>;
interface Caller { role: Role; subject: string }
const admin: Caller = { role: 'admin', subject: 'admin-r' };

describe('refunds tell the truth, and the client secret stays with the paying customer (issue 7, findings 2 and 7)', () => {
  let p: PostgresPlatform;
  let everything: Subscription;
  const records: IncomingRecord[] = [];
  before(async () => {
    p = await startPostgresPlatform();
    // Every record on every topic (retry and dead-letter topics too), from the start.
    everything = await p.started.transport.subscribe({ groupId: uniqueName('everything'), topics: withDerivedTopics(EVENT_TOPICS), handler: async (record) => { records.push(record); } });
  });
  after(async () => {
    await everything.close({ timeoutMs: 1_000 });
    await p.close();
  });

  const sagaOf = async (sagaId: string): Promise<Json> => (await p.call('GET', `/sagas/${sagaId}`, admin)).body;
  const sagaEnds = (sagaId: string, status: string): Promise<Json> => eventually(`saga ${sagaId} ${status}`, async () => {
    const saga = await sagaOf(sagaId);
    return saga.status === status ? saga : undefined;
  });
  const notices = async (orderId: string): Promise<Json[]> => (await p.call('GET', `/notifications?orderId=${orderId}`, admin)).body.notifications as Json[];

  /** A checkout of `quantity` pizzas (12.00 USD each) by a customer of its own, paid and COMPLETED. */
  async function paidOrder(quantity: number): Promise<{ customer: Caller; orderId: string; sagaId: string; paymentId: string }> {
    const customer: Caller = { role: 'customer', subject: uniqueName('cust') };
    const checkout = await p.call('POST', '/checkout', customer, { restaurantId: 'resto-1', items: [{ ...PIZZA, quantity }], deliveryAddress: '1 Main Street' });
    assert.equal(checkout.status, 201, JSON.stringify(checkout.body));
    const { orderId, sagaId, paymentId } = checkout.body as { orderId: string; sagaId: string; paymentId: string };
    assert.equal((await p.call('POST', `/payments/${paymentId}/confirm`, customer, { paymentMethod: 'pm_card_visa' })).status, 200);
    await sagaEnds(sagaId, 'COMPLETED');
    return { customer, orderId, sagaId, paymentId };
  }

  test('a refund above what remains, or in another currency, is refused up front with a 4xx and starts nothing', async () => {
    const order = await paidOrder(1);
    const tooMuch = await p.call('POST', `/orders/${order.orderId}/refunds`, admin, { amount: { amount: 99_999, currency: 'USD' }, reason: 'x' });
    assert.equal(tooMuch.status, 400, JSON.stringify(tooMuch.body));
    assert.equal((tooMuch.body.error as Json).code, 'refund_exceeds_remaining');
    assert.deepEqual(((tooMuch.body.error as Json).details as Json).refundable, { amount: 1_200, currency: 'USD' });
    const foreign = await p.call('POST', `/orders/${order.orderId}/refunds`, admin, { amount: { amount: 100, currency: 'EUR' }, reason: 'x' });
    assert.equal(foreign.status, 400);
    assert.equal((foreign.body.error as Json).code, 'currency_mismatch');
    // The orchestrator counts what its refunds hold: 1000 then 300 of 1200 is too much.
    assert.equal((await p.call('POST', `/orders/${order.orderId}/refunds`, admin, { amount: { amount: 1_000, currency: 'USD' }, reason: 'a' })).status, 202);
    assert.equal((await p.call('POST', `/orders/${order.orderId}/refunds`, admin, { amount: { amount: 300, currency: 'USD' }, reason: 'b' })).status, 400);
    const sagas = (await p.call('GET', `/sagas?orderId=${order.orderId}`, admin)).body.sagas as Json[];
    assert.deepEqual(sagas.map((saga) => saga.type), ['checkout', 'partial-refund'], 'only the accepted refund started');
    // The payment API refuses the same way.
    const direct = await p.call('POST', `/payments/${order.paymentId}/refunds`, admin, { amount: { amount: 99_999, currency: 'USD' }, reason: 'x' });
    assert.equal(direct.status, 400);
    assert.equal((direct.body.error as Json).code, 'refund_exceeds_remaining');
    assert.equal((await p.call('POST', `/payments/${order.paymentId}/refunds`, admin, { amount: { amount: 100, currency: 'EUR' }, reason: 'x' })).status, 400);
  });

  test('a refund that only the payment service can refuse (refunded around the saga meanwhile) fails the saga, and the customer hears of no refund', async () => {
    const order = await paidOrder(1);
    assert.ok((await p.call('POST', `/payments/${order.paymentId}/refunds`, admin, { reason: 'refunded in full by support' })).status < 300);
    await eventually('refunded in full', async () => (await p.call('GET', `/payments/${order.paymentId}`, admin)).body.status === 'REFUNDED');
    const partial = await p.call('POST', `/orders/${order.orderId}/refunds`, admin, { amount: { amount: 500, currency: 'USD' }, reason: 'cold pizza' });
    assert.equal(partial.status, 202, 'the orchestrator\'s books still show 1200 refundable');
    const saga = await sagaEnds(String(partial.body.sagaId), 'FAILED');
    assert.match(String(saga.failureReason), /illegal_transition|refund_exceeds_remaining/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual((await notices(order.orderId)).map((notice) => notice.kind), ['order-confirmed'], 'no "refunded" notice for a refund that did not happen');
  });

  test('a cancellation after a partial refund: each notice says what it really refunded', async () => {
    const order = await paidOrder(2);
    const partial = await p.call('POST', `/orders/${order.orderId}/refunds`, admin, { amount: { amount: 500, currency: 'USD' }, reason: 'cold pizza' });
    await sagaEnds(String(partial.body.sagaId), 'COMPLETED');
    assert.equal((await p.call('POST', `/orders/${order.orderId}/cancel`, order.customer, { reason: 'too slow' })).status, 202);
    await sagaEnds(`refund-${order.orderId}`, 'COMPLETED');
    const told = await eventually('both refund notices', async () => {
      const all = (await notices(order.orderId)).filter((notice) => notice.kind === 'order-refunded');
      return all.length === 2 ? all.map((notice) => String(notice.message)) : undefined;
    });
    assert.ok(told.some((message) => /5\.00 USD of your payment was refunded/.test(message)), told.join(' | '));
    assert.ok(told.some((message) => /is cancelled \(too slow\); 19\.00 USD of your payment was refunded \(24\.00 USD refunded in all\)/.test(message)), told.join(' | '));
    assert.equal((await p.call('GET', `/payments/${order.paymentId}`, admin)).body.status, 'REFUNDED');
  });

  test('after a full checkout the client secret is on no topic, in no saga row, in no outbox — only in the customer\'s payment', async () => {
    const order = await paidOrder(1);
    const secret = String((await p.call('GET', `/payments/${order.paymentId}`, order.customer)).body.clientSecret);
    assert.match(secret, /_secret_/);
    await eventually('the confirmation sent', async () => (await notices(order.orderId)).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ofOrder = records.filter((record) => record.key === order.orderId);
    assert.ok(ofOrder.some((record) => record.topic.endsWith('saga.replies')), 'the replies were seen');
    for (const record of records) {
      assert.ok(!record.value.toString('utf8').includes(secret) && !JSON.stringify(record.headers).includes(secret), `the secret travelled on ${record.topic}`);
    }
    const sagas = JSON.stringify((await p.call('GET', `/sagas?orderId=${order.orderId}`, admin)).body);
    assert.ok(sagas.includes(order.paymentId) && !sagas.includes(secret), 'not in saga data nor in the timeline');
    const saga = p.schema('saga');
    for (const [table, column] of [['saga_instances', 'data'], ['saga_step_log', 'detail'], ['saga_early_events', 'envelope']] as const) {
      const found = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(`${saga}.${table}`)} where position(${secret} in ${sql.ref(column)}) > 0`.execute(p.db);
      assert.equal(Number(found.rows[0]?.n), 0, `saga ${table}`);
    }
    for (const name of SERVICE_NAMES) {
      const found = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(`${p.schema(name)}.outbox`)} where position(${secret} in convert_from(value, 'UTF8')) > 0`.execute(p.db);
      assert.equal(Number(found.rows[0]?.n), 0, `${name} outbox`);
    }
  });
});
