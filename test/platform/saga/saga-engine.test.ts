import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { createEnvelope } from '../../../src/contracts/codec.ts';
import type { Envelope } from '../../../src/contracts/envelope.ts';
import { PaymentCompleted, PaymentFailed } from '../../../src/contracts/events/payment.ts';
import { CancelOrder, CommitStock, CreateOrder, ReleaseStock, ReserveStock, SagaReply, SendNotification } from '../../../src/contracts/events/saga.ts';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import type { OutboxMessage } from '../../../src/platform/outbox/outbox.ts';
import { command, defineSaga } from '../../../src/platform/saga/saga-definition.ts';
import { SagaEngine } from '../../../src/platform/saga/saga-engine.ts';
import { sagaMigrations } from '../../../src/platform/saga/saga-tables.ts';

interface Data { orderId: string; paid: boolean; failure: string | null; reservation: string | null }

const items = [{ productId: 'p1', name: 'Pizza', quantity: 1, unitPrice: { amount: 1000, currency: 'USD' as const } }];

/** A small checkout-shaped saga: order, stock, wait for payment, commit, notify (past the pivot). */
const demo = defineSaga<Data>({
  name: 'demo',
  steps: [
    {
      name: 'order',
      invoke: (data) => command(CreateOrder, { orderId: data.orderId, customerId: 'c', restaurantId: 'r', items, total: { amount: 1000, currency: 'USD' }, deliveryAddress: 'a' }),
      compensate: (data) => command(CancelOrder, { orderId: data.orderId, outcome: 'CANCELLED', reason: data.failure ?? '' }),
      onFailure: (data, reason) => ({ ...data, failure: reason }),
    },
    {
      name: 'stock',
      invoke: (data) => command(ReserveStock, { orderId: data.orderId, restaurantId: 'r', items: [{ productId: 'p1', quantity: 1 }] }),
      onSuccess: (data, result) => ({ ...data, reservation: String(result.reservationId) }),
      compensate: (data) => command(ReleaseStock, { orderId: data.orderId, reason: data.failure ?? '' }),
      onFailure: (data, reason) => ({ ...data, failure: reason }),
    },
    {
      name: 'payment',
      await: {
        events: [PaymentCompleted, PaymentFailed], deadlineMs: 60_000, timeoutReason: 'unpaid',
        judge: (data, envelope) => envelope.type === PaymentCompleted.type ? { ok: true, data: { ...data, paid: true } } : { ok: false, reason: 'declined' },
      },
      onFailure: (data, reason) => ({ ...data, failure: reason }),
    },
    { name: 'commit', invoke: (data) => command(CommitStock, { orderId: data.orderId }) },
    { name: 'notify', invoke: (data) => command(SendNotification, { orderId: data.orderId, customerId: 'c', kind: 'order-confirmed', message: 'ok' }), retryOnRefusal: true, optional: true },
  ],
});

/** A refund-shaped saga: nothing to compensate back to. */
const oneWay = defineSaga<Data>({
  name: 'one-way',
  steps: [{ name: 'refund', invoke: (data) => command(CommitStock, { orderId: data.orderId }) }],
  onCompleted: (data) => [command(SendNotification, { orderId: data.orderId, customerId: 'c', kind: 'order-refunded', message: 'refunded' })],
  onFailed: (data) => [command(SendNotification, { orderId: data.orderId, customerId: 'c', kind: 'order-cancelled', message: `not refunded: ${data.failure ?? ''}` })],
});

describe('saga engine (PGlite)', () => {
  let database: Database;
  let engine: SagaEngine;
  const schema = 'saga_engine_test';
  before(async () => {
    database = await openDatabase({ url: 'pglite://memory' });
    await migrateSchema(database.db, schema, sagaMigrations);
    engine = new SagaEngine([demo, oneWay] as never[], { schema, commandTimeoutMs: 60_000, retryInitialMs: 1, retryMaxMs: 5, maxResends: 2 });
  });
  after(async () => { await database.close(); });

  async function inTx(work: (trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void) => Promise<unknown>): Promise<OutboxMessage[]> {
    const sent: OutboxMessage[] = [];
    await database.db.transaction().execute((trx) => work(trx, (...messages) => { sent.push(...messages); }));
    return sent;
  }

  const payloadOf = (message: OutboxMessage | undefined): Record<string, unknown> => (message?.envelope.payload ?? {}) as Record<string, unknown>;

  function replyTo(message: OutboxMessage | undefined, ok: boolean, result: Record<string, string | boolean> = {}): Envelope<never> {
    const cmd = payloadOf(message);
    return createEnvelope(SagaReply, {
      sagaId: String(cmd.sagaId), commandId: String(cmd.commandId), step: String(cmd.step), command: message?.envelope.type ?? '', ok, reason: ok ? null : 'refused', result,
    }, { source: 'test', key: message?.envelope.key ?? '', correlationId: String(cmd.sagaId) }) as Envelope<never>;
  }

  const paymentEvent = (orderId: string, completed: boolean): Envelope => completed
    ? createEnvelope(PaymentCompleted, { paymentId: 'pay_1', orderId, amount: { amount: 1000, currency: 'USD' }, stripePaymentIntentId: 'pi_1', stripeChargeId: null, receiptUrl: null }, { source: 'payment', key: orderId, correlationId: 'x' })
    : createEnvelope(PaymentFailed, { paymentId: 'pay_1', orderId, stripePaymentIntentId: 'pi_1', failureCode: 'card_declined', declineCode: null, failureReason: 'declined' }, { source: 'payment', key: orderId, correlationId: 'x' });

  async function started(orderId: string): Promise<OutboxMessage[]> {
    return inTx((trx, publish) => engine.start(trx, publish, demo, { sagaId: `s-${orderId}`, orderId, data: { orderId, paid: false, failure: null, reservation: null } }));
  }

  test('happy path: each reply moves one step; an awaited event passes the wait; the saga completes', async () => {
    const [create] = await started('o1');
    assert.equal(create?.envelope.type, 'CreateOrder');
    assert.equal(create?.envelope.correlationId, 's-o1');
    const [reserve] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(create, true)));
    assert.equal(reserve?.envelope.type, 'ReserveStock');
    assert.deepEqual(await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(reserve, true, { reservationId: 'r1' }))), [], 'now waiting for the payment');
    const [commit] = await inTx((trx, publish) => engine.onEvent(trx, publish, paymentEvent('o1', true)));
    assert.equal(commit?.envelope.type, 'CommitStock');
    const [notify] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(commit, true)));
    await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(notify, true)));
    const view = await engine.view(database.db, 's-o1');
    assert.equal(view?.status, 'COMPLETED');
    assert.deepEqual(view?.data, { orderId: 'o1', paid: true, failure: null, reservation: 'r1' });
    assert.deepEqual(view?.timeline.map((entry) => `${entry.step}:${entry.kind}`), [
      'start:started', 'order:command-sent', 'order:succeeded', 'stock:command-sent', 'stock:succeeded', 'payment:waiting',
      'payment:event', 'commit:command-sent', 'commit:succeeded', 'notify:command-sent', 'notify:succeeded', 'end:completed',
    ]);
  });

  test('a stale or repeated reply changes nothing', async () => {
    const [create] = await started('o2');
    const [reserve] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(create, true)));
    assert.deepEqual(await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(create, true))), [], 'the same reply again');
    assert.equal((await engine.view(database.db, 's-o2'))?.step, 'stock');
    assert.ok(reserve);
  });

  test('a declined payment compensates the done steps in reverse order, and a refused compensation is retried until it succeeds', async () => {
    const [create] = await started('o3');
    const [reserve] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(create, true)));
    await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(reserve, true, { reservationId: 'r3' })));
    const [release] = await inTx((trx, publish) => engine.onEvent(trx, publish, paymentEvent('o3', false)));
    assert.equal(release?.envelope.type, 'ReleaseStock', 'last done step first');
    assert.deepEqual(await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(release, false))), [], 'refused: retried later');
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(await engine.dueSagas(database.db), ['s-o3']);
    const [again] = await inTx((trx, publish) => engine.fireDeadline(trx, publish, 's-o3'));
    assert.equal(again?.envelope.type, 'ReleaseStock');
    const [cancel] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(again, true)));
    assert.equal(cancel?.envelope.type, 'CancelOrder');
    assert.equal(payloadOf(cancel).reason, 'declined');
    await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(cancel, true)));
    const view = await engine.view(database.db, 's-o3');
    assert.equal(view?.status, 'COMPENSATED');
    assert.equal(view?.failureReason, 'declined');
  });

  test('the payment deadline is durable: when it passes, the saga compensates', async () => {
    const [create] = await started('o4');
    const [reserve] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(create, true)));
    await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(reserve, true)));
    // A second engine over the same tables (a restarted orchestrator) sees the deadline.
    const restarted = new SagaEngine([demo] as never[], { schema });
    await database.db.updateTable(`${schema}.saga_instances` as never).set({ deadline_at: new Date(Date.now() - 1) } as never).where('id' as never, '=', 's-o4' as never).execute();
    const [release] = await inTx((trx, publish) => restarted.fireDeadline(trx, publish, 's-o4'));
    assert.equal(release?.envelope.type, 'ReleaseStock');
    assert.equal((await restarted.view(database.db, 's-o4'))?.failureReason, 'unpaid');
  });

  test('an awaited event that arrives before its step is kept and applied when the saga gets there', async () => {
    const [create] = await started('o5');
    assert.equal(await database.db.transaction().execute((trx) => engine.onEvent(trx, () => undefined, paymentEvent('o5', true))), 1);
    const [reserve] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(create, true)));
    const [commit] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(reserve, true)));
    assert.equal(commit?.envelope.type, 'CommitStock', 'the early payment.completed was applied on arrival at the wait');
  });

  test('an unanswered command is sent again after its timeout, and only the newest command id counts', async () => {
    const quick = new SagaEngine([demo] as never[], { schema, commandTimeoutMs: 1 });
    const [create] = await inTx((trx, publish) => quick.start(trx, publish, demo, { sagaId: 's-o6', orderId: 'o6', data: { orderId: 'o6', paid: false, failure: null, reservation: null } }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [resent] = await inTx((trx, publish) => quick.fireDeadline(trx, publish, 's-o6'));
    assert.equal(resent?.envelope.type, 'CreateOrder');
    assert.notEqual(payloadOf(resent).commandId, payloadOf(create).commandId);
    assert.deepEqual(await inTx((trx, publish) => quick.onReply(trx, publish, replyTo(create, true))), [], 'the first command\'s late reply is stale');
    const [reserve] = await inTx((trx, publish) => quick.onReply(trx, publish, replyTo(resent, true)));
    assert.equal(reserve?.envelope.type, 'ReserveStock');
  });

  /** What a participant answers when it dead-lettered the command (participant.ts). */
  const deadLettered = (message: OutboxMessage | undefined): Envelope<never> => replyTo(message, false, { deadLettered: true });
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

  /** Runs a saga to its wait for the payment and past it (the payment completed): returns the CommitStock command. */
  async function toCommit(orderId: string): Promise<OutboxMessage | undefined> {
    const [create] = await started(orderId);
    const [reserve] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(create, true)));
    await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(reserve, true)));
    const [commit] = await inTx((trx, publish) => engine.onEvent(trx, publish, paymentEvent(orderId, true)));
    return commit;
  }

  test('a command its participant dead-letters is resent a bounded number of times, shown as stuck meanwhile, then given up: the saga compensates (that step included)', async () => {
    let commit = await toCommit('f1');
    const sends: string[] = [];
    for (let fault = 1; fault <= 3; fault += 1) {
      assert.equal(commit?.envelope.type, 'CommitStock');
      sends.push(String(payloadOf(commit).commandId));
      const after = await inTx((trx, publish) => engine.onReply(trx, publish, deadLettered(commit)));
      if (fault === 3) {
        assert.equal(after[0]?.envelope.type, 'ReleaseStock', 'given up after 1 send + 2 resends: compensating');
        const [cancelOrder] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(after[0], true)));
        assert.equal(cancelOrder?.envelope.type, 'CancelOrder');
        await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(cancelOrder, true)));
        break;
      }
      assert.deepEqual(after.map((m) => m.envelope.type), [], 'a fault is resent after a backoff, not at once');
      const view = await engine.view(database.db, 's-f1');
      assert.equal(view?.status, 'RUNNING');
      assert.deepEqual([view?.stuck, view?.resends], [true, fault], 'visible as stuck, with the resends so far');
      await pause();
      [commit] = await inTx((trx, publish) => engine.fireDeadline(trx, publish, 's-f1'));
    }
    assert.equal(new Set(sends).size, 3, 'each send a new command id');
    const view = await engine.view(database.db, 's-f1');
    assert.deepEqual([view?.status, view?.stuck], ['COMPENSATED', false]);
    assert.match(String(view?.failureReason), /commit: gave up after 3 sends \(fault\)/);
    assert.ok(view?.timeline.some((entry) => entry.kind === 'gave-up'));
  });

  test('an unanswered command is resent after each timeout, then given up; its own compensation is sent too (it may still run late)', async () => {
    const quick = new SagaEngine([demo] as never[], { schema, commandTimeoutMs: 1, maxResends: 2 });
    const [create] = await inTx((trx, publish) => quick.start(trx, publish, demo, { sagaId: 's-u1', orderId: 'u1', data: { orderId: 'u1', paid: false, failure: null, reservation: null } }));
    assert.equal(create?.envelope.type, 'CreateOrder');
    for (let resend = 1; resend <= 2; resend += 1) {
      await pause();
      const [again] = await inTx((trx, publish) => quick.fireDeadline(trx, publish, 's-u1'));
      assert.equal(again?.envelope.type, 'CreateOrder', `resend ${resend}`);
    }
    await pause();
    const [cancel] = await inTx((trx, publish) => quick.fireDeadline(trx, publish, 's-u1'));
    assert.equal(cancel?.envelope.type, 'CancelOrder', 'given up: the order is cancelled, so a late CreateOrder is refused');
    await inTx((trx, publish) => quick.onReply(trx, publish, replyTo(cancel, true)));
    const view = await quick.view(database.db, 's-u1');
    assert.equal(view?.status, 'COMPENSATED');
    assert.match(String(view?.failureReason), /order: gave up after 3 sends \(timeout\)/);
  });

  test('an unanswered command with no undo (a refund) is never given up: resent past maxResends until answered, and the late answer completes the saga', async () => {
    const quick = new SagaEngine([oneWay] as never[], { schema, commandTimeoutMs: 1, maxResends: 2 });
    const [refund] = await inTx((trx, publish) => quick.start(trx, publish, oneWay, { sagaId: 's-u2', orderId: 'u2', data: { orderId: 'u2', paid: true, failure: null, reservation: null } }));
    let last = refund;
    for (let resend = 1; resend <= 6; resend += 1) {
      await pause();
      const [again] = await inTx((trx, publish) => quick.fireDeadline(trx, publish, 's-u2'));
      assert.equal(again?.envelope.type, 'CommitStock', `resend ${resend}: the same command again, not a give-up`);
      last = again;
    }
    assert.equal((await quick.view(database.db, 's-u2'))?.status, 'RUNNING');
    const [notice] = await inTx((trx, publish) => quick.onReply(trx, publish, replyTo(last, true)));
    assert.equal(notice?.envelope.type, 'SendNotification');
    assert.match(JSON.stringify(notice?.envelope.payload), /refunded/);
    assert.equal((await quick.view(database.db, 's-u2'))?.status, 'COMPLETED');
  });

  test('an optional step (the notification) that cannot be done is abandoned, and the saga completes', async () => {
    const commit = await toCommit('f2');
    let [notify] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(commit, true)));
    for (let fault = 1; fault <= 3; fault += 1) {
      assert.equal(notify?.envelope.type, 'SendNotification');
      await inTx((trx, publish) => engine.onReply(trx, publish, deadLettered(notify)));
      if (fault < 3) {
        await pause();
        [notify] = await inTx((trx, publish) => engine.fireDeadline(trx, publish, 's-f2'));
      }
    }
    const view = await engine.view(database.db, 's-f2');
    assert.equal(view?.status, 'COMPLETED');
    assert.ok(view?.timeline.some((entry) => entry.step === 'notify' && entry.kind === 'abandoned'));
  });

  test('a compensation that keeps failing is abandoned: the earlier ones still run, and the saga ends FAILED (not COMPENSATED)', async () => {
    const [create] = await started('f3');
    const [reserve] = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(create, true)));
    await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(reserve, true)));
    let [release] = await inTx((trx, publish) => engine.onEvent(trx, publish, paymentEvent('f3', false)));
    let next: OutboxMessage[] = [];
    for (let fault = 1; fault <= 3; fault += 1) {
      assert.equal(release?.envelope.type, 'ReleaseStock');
      next = await inTx((trx, publish) => engine.onReply(trx, publish, deadLettered(release)));
      if (fault < 3) {
        await pause();
        [release] = await inTx((trx, publish) => engine.fireDeadline(trx, publish, 's-f3'));
      }
    }
    assert.equal(next[0]?.envelope.type, 'CancelOrder', 'the order is still cancelled');
    await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(next[0], true)));
    const view = await engine.view(database.db, 's-f3');
    assert.equal(view?.status, 'FAILED');
    assert.ok(view?.timeline.some((entry) => entry.step === 'stock' && entry.kind === 'compensation-abandoned'));
  });

  test('a saga with nothing to compensate ends FAILED on a refusal and sends its onFailed commands, not onCompleted\'s', async () => {
    const [refund] = await inTx((trx, publish) => engine.start(trx, publish, oneWay, { sagaId: 's-w1', orderId: 'w1', data: { orderId: 'w1', paid: true, failure: null, reservation: null } }));
    const sent = await inTx((trx, publish) => engine.onReply(trx, publish, replyTo(refund, false)));
    assert.deepEqual(sent.map((message) => payloadOf(message).kind), ['order-cancelled']);
    assert.equal((await engine.view(database.db, 's-w1'))?.status, 'FAILED');
  });

  test('start is idempotent on the saga id: a second start changes and sends nothing', async () => {
    const first = await started('i1');
    assert.equal(first.length, 1);
    assert.deepEqual(await started('i1'), []);
    const again = await database.db.transaction().execute((trx) => engine.start(trx, () => undefined, demo, { sagaId: 's-i1', orderId: 'i1', data: { orderId: 'i1', paid: false, failure: null, reservation: null } }));
    assert.equal(again, false);
    assert.equal((await engine.view(database.db, 's-i1'))?.timeline.filter((entry) => entry.kind === 'started').length, 1);
  });
});
