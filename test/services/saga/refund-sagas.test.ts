import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { createEnvelope } from '../../../src/contracts/codec.ts';
import type { Envelope } from '../../../src/contracts/envelope.ts';
import { PaymentRefundFailed } from '../../../src/contracts/events/payment.ts';
import { SagaReply } from '../../../src/contracts/events/saga.ts';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import type { OutboxMessage } from '../../../src/platform/outbox/outbox.ts';
import { SagaEngine } from '../../../src/platform/saga/saga-engine.ts';
import { sagaMigrations } from '../../../src/platform/saga/saga-tables.ts';
import { decidePartialRefund, type OrderSaga } from '../../../src/services/saga/partial-refunds.ts';
import { cancellationRefundSaga, partialRefundSaga, type RefundData } from '../../../src/services/saga/sagas/refund-sagas.ts';

type Json = Record<string, unknown>;
const USD = (amount: number) => ({ amount, currency: 'USD' as const });

describe('refund sagas: a refund that did not happen is never announced', () => {
  let database: Database;
  let engine: SagaEngine;
  const schema = 'refund_sagas_test';
  const partial = partialRefundSaga({ refundDeadlineMs: 60_000 });
  const cancellation = cancellationRefundSaga({ refundDeadlineMs: 60_000 });
  before(async () => {
    database = await openDatabase({ url: 'pglite://memory' });
    await migrateSchema(database.db, schema, sagaMigrations);
    engine = new SagaEngine([partial, cancellation] as never[], { schema });
  });
  after(async () => { await database.close(); });

  async function inTx(work: (trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void) => Promise<unknown>): Promise<OutboxMessage[]> {
    const sent: OutboxMessage[] = [];
    await database.db.transaction().execute((trx) => work(trx, (...messages) => { sent.push(...messages); }));
    return sent;
  }
  const payload = (message: OutboxMessage | undefined): Json => (message?.envelope.payload ?? {}) as Json;
  const reply = (message: OutboxMessage | undefined, result: Record<string, string | number | boolean>): Envelope<never> => createEnvelope(SagaReply, {
    sagaId: String(payload(message).sagaId), commandId: String(payload(message).commandId), step: String(payload(message).step),
    command: message?.envelope.type ?? '', ok: true, reason: null, result,
  }, { source: 'test', key: message?.envelope.key ?? '', correlationId: 'x' }) as Envelope<never>;
  const refundFailed = (data: RefundData): Envelope => createEnvelope(PaymentRefundFailed, {
    paymentId: 'pay_1', orderId: data.orderId, refundId: 'ref_1', refundRequestId: data.refundRequestId, amount: USD(500), failureReason: 'charge disputed',
  }, { source: 'payment', key: data.orderId, correlationId: 'x' });
  const data = (orderId: string, amount: number | null): RefundData => ({
    orderId, customerId: 'c', paymentId: 'pay_1', amount: amount === null ? null : USD(amount), reason: 'cold', refundRequestId: `rr-${orderId}`, refundExpected: true, shipped: false,
  });

  test('partial refund refused by the gateway (payment.refund-failed): FAILED, and no notice at all', async () => {
    const input = data('p1', 500);
    const [refund] = await inTx((trx, publish) => engine.start(trx, publish, partial, { sagaId: 's-p1', orderId: 'p1', data: input }));
    assert.equal(refund?.envelope.type, 'RefundPayment');
    assert.deepEqual(await inTx((trx, publish) => engine.onReply(trx, publish, reply(refund, { refundRequested: true }))), [], 'waiting for the outcome');
    const sent = await inTx((trx, publish) => engine.onEvent(trx, publish, refundFailed(input)));
    assert.deepEqual(sent, [], 'no "part of your payment was refunded"');
    const view = await engine.view(database.db, 's-p1');
    assert.equal(view?.status, 'FAILED');
    assert.match(String(view?.failureReason), /the refund was refused: charge disputed/);
  });

  test('cancellation whose refund the gateway refuses: FAILED, and the customer is told the payment is not refunded yet', async () => {
    const input = data('c1', null);
    const [cancelDelivery] = await inTx((trx, publish) => engine.start(trx, publish, cancellation, { sagaId: 's-c1', orderId: 'c1', data: input }));
    const [refund] = await inTx((trx, publish) => engine.onReply(trx, publish, reply(cancelDelivery, { shipped: false })));
    await inTx((trx, publish) => engine.onReply(trx, publish, reply(refund, { refundRequested: true })));
    const sent = await inTx((trx, publish) => engine.onEvent(trx, publish, refundFailed(input)));
    assert.deepEqual(sent.map((message) => [payload(message).kind, payload(message).message]), [
      ['order-cancelled', 'Your order c1 is being cancelled (cold), but your payment could not be refunded yet; our team has been alerted.'],
    ]);
    assert.equal((await engine.view(database.db, 's-c1'))?.status, 'FAILED');
  });

  test('cancellation with nothing left to refund: the order ends REFUNDED and the notice says it had been refunded before, and how much', async () => {
    const [cancelDelivery] = await inTx((trx, publish) => engine.start(trx, publish, cancellation, { sagaId: 's-c2', orderId: 'c2', data: data('c2', null) }));
    const [refund] = await inTx((trx, publish) => engine.onReply(trx, publish, reply(cancelDelivery, { shipped: false })));
    const [restock] = await inTx((trx, publish) => engine.onReply(trx, publish, reply(refund, { refundRequested: false, alreadyRefunded: 2_400, currency: 'USD' })));
    assert.equal(restock?.envelope.type, 'ReleaseStock', 'no wait for a refund that was not asked for');
    const [finish] = await inTx((trx, publish) => engine.onReply(trx, publish, reply(restock, {})));
    assert.equal(payload(finish).outcome, 'REFUNDED');
    const [notify] = await inTx((trx, publish) => engine.onReply(trx, publish, reply(finish, {})));
    assert.equal(payload(notify).message, 'Your order c2 is cancelled (cold); your payment had already been refunded (24.00 USD).');
  });
});

describe('partial refund decisions on the orchestrator\'s books (pure)', () => {
  const checkout = (status: OrderSaga['status'], captured = true): OrderSaga => ({
    id: 'checkout-o', type: 'checkout', status, data: { orderId: 'o', customerId: 'c', total: USD(1_000), paymentId: 'pay_o', captured },
  });
  const refund = (status: OrderSaga['status'], amount: number): OrderSaga => ({ id: `r-${status}-${amount}`, type: 'partial-refund', status, data: { amount: USD(amount) } });
  const code = (sagas: OrderSaga[], amount: number, currency: 'USD' | 'EUR' = 'USD'): string => {
    const decision = decidePartialRefund('o', sagas, { amount, currency });
    return decision.ok ? 'ok' : decision.code;
  };

  test('captured minus what running and completed refunds hold; failed refunds hold nothing', () => {
    assert.equal(code([checkout('COMPLETED')], 1_000), 'ok');
    assert.equal(code([checkout('COMPLETED')], 1_001), 'refund_exceeds_remaining');
    assert.equal(code([checkout('COMPLETED'), refund('COMPLETED', 400), refund('RUNNING', 500)], 101), 'refund_exceeds_remaining');
    assert.equal(code([checkout('COMPLETED'), refund('COMPLETED', 400), refund('RUNNING', 500)], 100), 'ok');
    assert.equal(code([checkout('COMPLETED'), refund('FAILED', 900)], 1_000), 'ok');
  });

  test('another currency, an unpaid or failed checkout, a cancelled order, an unknown order: refused', () => {
    assert.equal(code([checkout('COMPLETED')], 100, 'EUR'), 'currency_mismatch');
    assert.equal(code([checkout('RUNNING', false)], 100), 'not_paid');
    assert.equal(code([checkout('COMPENSATED')], 100), 'not_paid');
    assert.equal(code([checkout('COMPLETED'), { id: 'refund-o', type: 'cancellation-refund', status: 'RUNNING', data: {} }], 100), 'order_cancelled');
    assert.equal(code([], 100), 'not_found');
  });
});
