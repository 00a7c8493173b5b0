import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { paysagaTopicSpecs } from '../../../src/platform/messaging/topic-specs.ts';
import type { SagaView } from '../../../src/platform/saga/saga-engine.ts';
import { createOrderService, type OrderService } from '../../../src/services/order/order-service.ts';
import { createSagaService, type SagaService } from '../../../src/services/saga/saga-service.ts';
import type { CheckoutData } from '../../../src/services/saga/sagas/checkout-saga.ts';
import { eventually, postgresUrl, uniqueName } from '../../support/env.ts';

const retry = { inPlaceAttempts: 2, inPlaceDelayMs: 10, delayedAttempts: 1, initialDelayMs: 50, maxDelayMs: 100 };

/**
 * Issue 7, finding 4: a command its participant cannot store (a NUL in the
 * address: PostgreSQL refuses it in text) is dead-lettered by the order
 * service. The saga used to stay RUNNING forever, resending it and adding a
 * dead letter every minute. The command is injected past the API (which now
 * refuses NUL) by starting the saga directly.
 */
describe('a command a participant dead-letters ends its saga after a bounded number of resends (PostgreSQL, in-process transport)', () => {
  let database: Database;
  let transport: InProcessTransport;
  let saga: SagaService;
  let order: OrderService;
  const schemas = { saga: uniqueName('poison_saga'), order: uniqueName('poison_order') };

  before(async () => {
    database = await openDatabase({ url: postgresUrl() });
    transport = new InProcessTransport();
    await transport.ensureTopics(paysagaTopicSpecs({ partitions: 2, replicationFactor: 1, minInsyncReplicas: null }));
    order = await createOrderService({ db: database.db, transport, schema: schemas.order, retry, relayPollIntervalMs: 50 });
    saga = await createSagaService({ db: database.db, transport, schema: schemas.saga, retry, relayPollIntervalMs: 50, deadlinePollMs: 50, commandTimeoutMs: 30_000, maxResends: 2 });
    await order.start();
    await saga.start();
  });
  after(async () => {
    await saga.stop();
    await order.stop();
    await transport.close();
    for (const schema of Object.values(schemas)) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    await database.close();
  });

  const deadLetters = async (orderId: string): Promise<number> => Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(`${schemas.order}.dead_letters`)} where key = ${orderId}`.execute(database.db)).rows[0]?.n);

  test('CreateOrder with an unstorable address: resent twice, shown as stuck meanwhile, then given up; the saga compensates and the order is refused for good', async () => {
    const orderId = uniqueName('ord').replaceAll('_', '-');
    const data: CheckoutData = {
      orderId, customerId: 'cust-poison', restaurantId: 'resto-1', total: { amount: 1_200, currency: 'USD' },
      items: [{ productId: 'margherita', name: 'Pizza', quantity: 1, unitPrice: { amount: 1_200, currency: 'USD' } }],
      deliveryAddress: '1 Main\u0000Street', paymentId: null, captured: false, deliveryId: null, failure: null,
    };
    await saga.startCheckout({ sagaId: `checkout-${orderId}`, data });
    const view = (): Promise<SagaView | undefined> => saga.engine.view(database.db, `checkout-${orderId}`);
    const stuck = await eventually('visible as stuck', async () => {
      const now = await view();
      return now?.stuck ? now : undefined;
    }, 30_000);
    assert.equal(stuck.status, 'RUNNING');
    assert.ok(stuck.resends >= 1);
    const ended = await eventually('the saga ended', async () => {
      const now = await view();
      return now && now.status !== 'RUNNING' && now.status !== 'COMPENSATING' ? now : undefined;
    }, 60_000);
    assert.equal(ended.status, 'COMPENSATED');
    assert.match(String(ended.failureReason), /create-order: gave up after 3 sends \(fault\): order could not run CreateOrder \(dead-lettered\)/);
    assert.equal(ended.stuck, false);
    assert.deepEqual(ended.timeline.filter((entry) => entry.step === 'create-order').map((entry) => entry.kind), [
      'command-sent', 'failed', 'retry', 'command-resent', 'failed', 'retry', 'command-resent', 'failed', 'gave-up', 'compensation-sent', 'compensated',
    ]);
    assert.equal(await deadLetters(orderId), 3, 'one dead letter per send');
    // Cancelled before it was created: a late CreateOrder of this order is refused.
    const abandoned = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(`${schemas.order}.cancelled_before_creation`)} where order_id = ${orderId}`.execute(database.db);
    assert.equal(Number(abandoned.rows[0]?.n), 1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(await deadLetters(orderId), 3, 'never loops: no more sends, no more dead letters');
    assert.equal((await view())?.status, 'COMPENSATED');
  });
});
