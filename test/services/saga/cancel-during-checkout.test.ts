import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createEnvelope } from '../../../src/contracts/codec.ts';
import { OrderCancelled } from '../../../src/contracts/events/order.ts';
import { SagaReply } from '../../../src/contracts/events/saga.ts';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { envelopeRecord } from '../../../src/platform/messaging/envelope-record.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { paysagaTopicSpecs } from '../../../src/platform/messaging/topic-specs.ts';
import { createSagaService, type SagaService } from '../../../src/services/saga/saga-service.ts';
import { checkoutSaga, type CheckoutData } from '../../../src/services/saga/sagas/checkout-saga.ts';
import { eventually } from '../../support/env.ts';

// A tiny retry budget: the old way (fail the handler until the checkout ends) dead-lettered the cancellation within it.
const retry = { inPlaceAttempts: 2, inPlaceDelayMs: 10, delayedAttempts: 1, initialDelayMs: 50, maxDelayMs: 100 };
const steps = checkoutSaga({ paymentDeadlineMs: 60_000 }).steps.map((step) => step.name);

/**
 * An order cancelled once confirmed, while its checkout saga still runs its last steps (create-delivery,
 * notify-customer): the refund saga must start once the checkout completes, however long that takes. Found by
 * `paysaga simulate --seed 3 --sagas 40`: the cancellation was retried until the consumer's budget ran out, then
 * dead-lettered, and the order stayed CANCELLING with its money captured.
 */
describe('a cancellation that comes while the checkout is still running waits for its end (PGlite, in-process transport)', () => {
  let database: Database;
  let transport: InProcessTransport;
  let saga: SagaService;
  const schema = 'cancel_during_checkout';

  before(async () => {
    database = await openDatabase({ url: 'pglite://memory' });
    transport = new InProcessTransport();
    await transport.ensureTopics(paysagaTopicSpecs({ partitions: 2, replicationFactor: 1, minInsyncReplicas: null }));
    saga = await createSagaService({ db: database.db, transport, schema, retry, relayPollIntervalMs: 20, deadlinePollMs: 50, commandTimeoutMs: 600_000 });
    await saga.start();
  });
  after(async () => {
    await saga.stop();
    await transport.close();
    await database.close();
  });

  const sagaRow = async (id: string): Promise<{ status: string; step_index: number; awaiting_command_id: string | null } | undefined> =>
    (await sql<{ status: string; step_index: number; awaiting_command_id: string | null }>`select status, step_index, awaiting_command_id
      from ${sql.table(`${schema}.saga_instances`)} where id = ${id}`.execute(database.db)).rows[0];
  const count = async (table: string): Promise<number> => Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(`${schema}.${table}`)}`.execute(database.db)).rows[0]?.n);

  /** A checkout paid and confirmed, now waiting for its create-delivery reply. */
  async function checkoutAtCreateDelivery(orderId: string): Promise<string> {
    const data: CheckoutData = {
      orderId, customerId: 'cust-1', restaurantId: 'resto-1', total: { amount: 1_200, currency: 'USD' },
      items: [{ productId: 'margherita', name: 'Pizza', quantity: 1, unitPrice: { amount: 1_200, currency: 'USD' } }],
      deliveryAddress: '1 Main Street', paymentId: `pay-${orderId}`, captured: true, deliveryId: null, failure: null,
    };
    const sagaId = `checkout-${orderId}`;
    await sql`insert into ${sql.table(`${schema}.saga_instances`)} (id, saga_type, order_id, status, step_index, awaiting_command_id, data, deadline_at)
      values (${sagaId}, 'checkout', ${orderId}, 'RUNNING', ${steps.indexOf('create-delivery')}, ${`cmd-${orderId}`}, ${JSON.stringify(data)}, now() + interval '10 minutes')`.execute(database.db);
    return sagaId;
  }

  async function answer(sagaId: string, orderId: string, result: Record<string, string>): Promise<void> {
    const row = await sagaRow(sagaId);
    assert.ok(row?.awaiting_command_id, `saga ${sagaId} awaits a reply`);
    const step = steps[row.step_index] ?? '';
    const reply = createEnvelope(SagaReply, { sagaId, commandId: row.awaiting_command_id, step, command: step, ok: true, reason: null, result }, { source: 'delivery', key: orderId, correlationId: sagaId });
    await transport.publish([envelopeRecord(SagaReply.topic, reply)]);
  }

  test('cancelled at create-delivery: nothing is refunded while the checkout runs, nothing is dead-lettered, and the refund saga starts when it completes', async () => {
    const orderId = 'ord-cancel-1';
    const sagaId = await checkoutAtCreateDelivery(orderId);
    const cancelled = createEnvelope(OrderCancelled, { orderId, previousStatus: 'CONFIRMED', reason: 'changed my mind' }, { source: 'order', key: orderId, correlationId: 'cancel-1' });
    await transport.publish([envelopeRecord(OrderCancelled.topic, cancelled)]);
    // Delivered twice (at least once): kept once.
    await transport.publish([envelopeRecord(OrderCancelled.topic, cancelled)]);
    await eventually('the cancellation waits for the checkout', async () => (await count('cancellations_awaiting_checkout')) === 1);
    // Longer than the whole retry budget above: the old handler had dead-lettered the cancellation by now.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(await count('dead_letters'), 0, 'nothing dead-lettered');
    assert.equal(await sagaRow(`refund-${orderId}`), undefined, 'no refund while the checkout runs');

    await answer(sagaId, orderId, { deliveryId: 'del-1' });
    await eventually('notify-customer is sent', async () => steps[(await sagaRow(sagaId))?.step_index ?? -1] === 'notify-customer');
    await answer(sagaId, orderId, {});
    await eventually('the checkout completes', async () => (await sagaRow(sagaId))?.status === 'COMPLETED');
    const refund = await eventually('the refund saga starts', () => sagaRow(`refund-${orderId}`));
    assert.equal(refund.status, 'RUNNING');
    assert.equal(await count('cancellations_awaiting_checkout'), 0, 'taken by the end of the checkout');
    const view = await saga.engine.view(database.db, `refund-${orderId}`);
    assert.equal((view?.data as { paymentId: string | null }).paymentId, `pay-${orderId}`, 'the captured payment is refunded');
    assert.equal(await count('dead_letters'), 0);
  });

  test('cancelled at create-delivery, and the checkout then compensates: no refund saga (the compensation gives the money back)', async () => {
    const orderId = 'ord-cancel-2';
    const sagaId = await checkoutAtCreateDelivery(orderId);
    const cancelled = createEnvelope(OrderCancelled, { orderId, previousStatus: 'CONFIRMED', reason: 'changed my mind' }, { source: 'order', key: orderId, correlationId: 'cancel-2' });
    await transport.publish([envelopeRecord(OrderCancelled.topic, cancelled)]);
    await eventually('the cancellation waits for the checkout', async () => (await count('cancellations_awaiting_checkout')) === 1);
    const row = await sagaRow(sagaId);
    const refused = createEnvelope(SagaReply, {
      sagaId, commandId: row?.awaiting_command_id ?? '', step: 'create-delivery', command: 'CreateDelivery', ok: false, reason: 'no courier', result: {},
    }, { source: 'delivery', key: orderId, correlationId: sagaId });
    await transport.publish([envelopeRecord(SagaReply.topic, refused)]);
    await eventually('the checkout compensates', async () => (await sagaRow(sagaId))?.status === 'COMPENSATING');
    // Answer each compensation until the saga ends.
    await eventually('the checkout is compensated', async () => {
      const now = await sagaRow(sagaId);
      if (now?.status === 'COMPENSATED' || now?.status === 'FAILED') return true;
      if (now?.awaiting_command_id) await answer(sagaId, orderId, {});
      await new Promise((resolve) => setTimeout(resolve, 100));
      return false;
    });
    assert.equal(await count('cancellations_awaiting_checkout'), 0, 'taken by the end of the checkout');
    assert.equal(await sagaRow(`refund-${orderId}`), undefined, 'no refund saga');
  });
});
