import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Role } from '../../src/platform/http/auth.ts';
import { eventually, uniqueName } from '../support/env.ts';
import type { HttpAnswer } from '../support/service-calls.ts';
import { PIZZA } from './marketplace-client.ts';
import { startPostgresPlatform, type PostgresPlatform } from './postgres-platform.ts';

type Json = Record<string, unknown>;
interface Caller { role: Role; subject: string }

const customerA: Caller = { role: 'customer', subject: 'cust-a' };
const customerB: Caller = { role: 'customer', subject: 'cust-b' };
const adminA: Caller = { role: 'admin', subject: 'admin-a' };
const adminB: Caller = { role: 'admin', subject: 'admin-b' };
const checkoutBody = (quantity = 1): Json => ({ restaurantId: 'resto-1', items: [{ ...PIZZA, quantity }], deliveryAddress: '1 Main Street' });

describe('Idempotency-Key: scoped to the caller, and a retry after a crash finds the first attempt (issue 7, findings 1 and 14)', () => {
  let p: PostgresPlatform;
  before(async () => { p = await startPostgresPlatform(); });
  after(async () => { await p.close(); });

  async function sagaOf(sagaId: string): Promise<Json> {
    return (await p.call('GET', `/sagas/${sagaId}`, adminA)).body;
  }

  /** A checkout by customer A, paid and COMPLETED. */
  async function paidOrder(): Promise<{ orderId: string; sagaId: string; paymentId: string; deliveryId: string }> {
    const checkout = await p.call('POST', '/checkout', customerA, checkoutBody());
    assert.equal(checkout.status, 201, JSON.stringify(checkout.body));
    const { orderId, sagaId, paymentId } = checkout.body as { orderId: string; sagaId: string; paymentId: string };
    assert.equal((await p.call('POST', `/payments/${paymentId}/confirm`, customerA, { paymentMethod: 'pm_card_visa' })).status, 200);
    await eventually('checkout completed', async () => (await sagaOf(sagaId)).status === 'COMPLETED');
    const deliveries = (await p.call('GET', `/deliveries?orderId=${orderId}`, adminA)).body.deliveries as Json[];
    return { orderId, sagaId, paymentId, deliveryId: String(deliveries[0]?.id) };
  }

  test('on every POST route, another caller sending the same key and body is never replayed the first caller\'s answer', async () => {
    const paid = await paidOrder();
    const toCancel = await paidOrder();
    const unpaid = (await p.call('POST', '/checkout', customerA, checkoutBody())).body as { paymentId: string };
    const direct = (await p.call('POST', '/payments', customerA, { orderId: 'ord_direct_1', customerId: 'cust-a', amount: { amount: 500, currency: 'USD' } })).body as { id: string };
    await p.started.transport.publish([{ topic: 'order.commands', key: 'poison-key', value: Buffer.from('{not json'), headers: {} }]);
    const deadLetter = await eventually('a dead letter to act on', async () => {
      const listed = (await p.call('GET', '/dead-letters?service=order&status=pending', adminA)).body.services as { deadLetters: { id: string; key: string }[] }[];
      return listed[0]?.deadLetters.find((letter) => letter.key === 'poison-key');
    });
    const productId = uniqueName('dish').replaceAll('_', '-');
    // [route as OpenAPI names it, the path, the first caller, another caller of the same role, the body]
    const routes: [string, string, Caller, Caller, Json][] = [
      ['/checkout', '/checkout', customerA, customerB, checkoutBody()],
      ['/orders/{orderId}/refunds', `/orders/${paid.orderId}/refunds`, adminA, adminB, { amount: { amount: 100, currency: 'USD' }, reason: 'cold' }],
      ['/orders/{orderId}/status', `/orders/${paid.orderId}/status`, { role: 'restaurant', subject: 'resto-1' }, { role: 'restaurant', subject: 'resto-2' }, { status: 'PREPARING' }],
      ['/orders/{orderId}/cancel', `/orders/${toCancel.orderId}/cancel`, customerA, customerB, { reason: 'changed my mind' }],
      ['/deliveries/{deliveryId}/status', `/deliveries/${paid.deliveryId}/status`, { role: 'courier', subject: 'courier-a' }, { role: 'courier', subject: 'courier-b' }, { status: 'COURIER_ASSIGNED' }],
      ['/payments', '/payments', customerA, customerB, { orderId: 'ord_direct_2', customerId: 'cust-a', amount: { amount: 700, currency: 'USD' } }],
      ['/payments/{paymentId}/confirm', `/payments/${direct.id}/confirm`, customerA, customerB, { paymentMethod: 'pm_card_visa' }],
      ['/payments/{paymentId}/cancel', `/payments/${unpaid.paymentId}/cancel`, customerA, customerB, {}],
      ['/payments/{paymentId}/refunds', `/payments/${paid.paymentId}/refunds`, adminA, adminB, { amount: { amount: 100, currency: 'USD' }, reason: 'late' }],
      ['/products', '/products', adminA, adminB, { id: productId, restaurantId: 'resto-1', name: 'Dish', unitPrice: { amount: 900, currency: 'USD' }, stock: 5 }],
      ['/products/{productId}/stock', `/products/${productId}/stock`, adminA, adminB, { onHand: 7 }],
      ['/dead-letters/{service}/{id}/{action}', `/dead-letters/order/${deadLetter.id}/discard`, adminA, adminB, { note: 'garbage' }],
    ];
    // The table covers every POST the API has that takes a key (the webhook verifies Stripe-Signature instead).
    const openapi = (await fetch(`${p.started.url}/openapi.json`).then((response) => response.json())) as { paths: Record<string, Record<string, unknown>> };
    const posts = Object.entries(openapi.paths).filter(([path, methods]) => methods.post && path !== '/webhooks/stripe').map(([path]) => path).sort();
    assert.deepEqual([...new Set(routes.map(([route]) => route))].sort(), posts);

    for (const [route, path, first, other, body] of routes) {
      const key = { 'idempotency-key': `shared-${route}` };
      const mine = await p.call('POST', path, first, body, key);
      assert.ok(mine.status < 300, `${route}: the first caller succeeds (${mine.status} ${JSON.stringify(mine.body)})`);
      const again = await p.call('POST', path, first, body, key);
      assert.equal(again.headers.get('idempotent-replayed'), 'true', `${route}: the same caller gets its answer replayed`);
      const theirs: HttpAnswer = await p.call('POST', path, other, body, key);
      assert.equal(theirs.headers.get('idempotent-replayed'), null, `${route}: another caller's request is its own (${theirs.status})`);
      assert.notDeepEqual(theirs.body, mine.body, `${route}: another caller never sees the first caller's answer`);
    }
  });

  /** Plays the crash: the effect happened, but the key was never completed (left in flight, claimed long ago). */
  async function crashBeforeKeyCompleted(service: 'saga' | 'payment', key: string): Promise<void> {
    const table = sql.table(`${p.schema(service)}.idempotency_keys`);
    const updated = await sql`update ${table} set state = 'in_progress', response_status = null, response_body = null, completed_at = null,
      claimed_at = now() - interval '10 minutes' where key = ${key}`.execute(p.db);
    assert.equal(Number(updated.numAffectedRows), 1, `the key ${key} was stored`);
  }

  async function count(service: 'saga' | 'payment' | 'order' | 'inventory', from: string, where: string, value: string): Promise<number> {
    const result = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(`${p.schema(service)}.${from}`)} where ${sql.ref(where)} = ${value}`.execute(p.db);
    return Number(result.rows[0]?.n);
  }

  test('a checkout retried after a crash between starting its saga and completing its key: one order, one saga, one reservation', async () => {
    const customer: Caller = { role: 'customer', subject: uniqueName('crash') };
    const key = uniqueName('checkout-key');
    const first = await p.call('POST', '/checkout', customer, checkoutBody(2), { 'idempotency-key': key });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    await crashBeforeKeyCompleted('saga', key);
    const retry = await p.call('POST', '/checkout', customer, checkoutBody(2), { 'idempotency-key': key });
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.equal(retry.body.orderId, first.body.orderId, 'the retry found the first attempt\'s order');
    assert.equal(await count('order', 'orders', 'customer_id', customer.subject), 1, 'one order');
    const sagas = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(`${p.schema('saga')}.saga_instances`)} where data like ${`%${customer.subject}%`}`.execute(p.db);
    assert.equal(Number(sagas.rows[0]?.n), 1, 'one saga');
    assert.equal(await count('payment', 'payments', 'customer_id', customer.subject), 1, 'one payment intent');
    const reservations = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(`${p.schema('inventory')}.reservations`)}
      where order_id in (select id from ${sql.table(`${p.schema('order')}.orders`)} where customer_id = ${customer.subject})`.execute(p.db);
    assert.equal(Number(reservations.rows[0]?.n), 1, 'one reservation (stock held once)');
  });

  test('the other POSTs with an effect: a partial refund, a payment and a payment refund retried after a crash are done once', async () => {
    const paid = await paidOrder();
    const refundKey = uniqueName('refund-key');
    const refund = { amount: { amount: 300, currency: 'USD' }, reason: 'cold' };
    const first = await p.call('POST', `/orders/${paid.orderId}/refunds`, adminA, refund, { 'idempotency-key': refundKey });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    await crashBeforeKeyCompleted('saga', refundKey);
    const retried = await p.call('POST', `/orders/${paid.orderId}/refunds`, adminA, refund, { 'idempotency-key': refundKey });
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.sagaId, first.body.sagaId);
    assert.equal(((await p.call('GET', `/sagas?orderId=${paid.orderId}`, adminA)).body.sagas as Json[]).filter((saga) => saga.type === 'partial-refund').length, 1);

    const paymentKey = uniqueName('payment-key');
    const payment = { orderId: uniqueName('ord').replaceAll('_', '-'), customerId: 'cust-a', amount: { amount: 800, currency: 'USD' } };
    assert.equal((await p.call('POST', '/payments', customerA, payment, { 'idempotency-key': paymentKey })).status, 201);
    await crashBeforeKeyCompleted('payment', paymentKey);
    assert.equal((await p.call('POST', '/payments', customerA, payment, { 'idempotency-key': paymentKey })).status, 201);
    assert.equal(await count('payment', 'payments', 'order_id', payment.orderId), 1, 'one payment');

    const paymentRefundKey = uniqueName('payment-refund-key');
    const body = { amount: { amount: 200, currency: 'USD' }, reason: 'late' };
    assert.ok((await p.call('POST', `/payments/${paid.paymentId}/refunds`, adminA, body, { 'idempotency-key': paymentRefundKey })).status < 300);
    await crashBeforeKeyCompleted('payment', paymentRefundKey);
    assert.ok((await p.call('POST', `/payments/${paid.paymentId}/refunds`, adminA, body, { 'idempotency-key': paymentRefundKey })).status < 300);
    const refunds = await sql<{ amount: number }>`select amount from ${sql.table(`${p.schema('payment')}.refunds`)} where payment_id = ${paid.paymentId} and reason = 'late'`.execute(p.db);
    assert.deepEqual(refunds.rows.map((row) => Number(row.amount)), [200], 'refunded once');
  });
});
