import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import { outboxTransaction } from '../../../src/platform/outbox/outbox-transaction.ts';
import { PlatformMetrics } from '../../../src/platform/observability/platform-metrics.ts';
import { command, defineSaga } from '../../../src/platform/saga/saga-definition.ts';
import { SagaEngine } from '../../../src/platform/saga/saga-engine.ts';
import { sagaDb } from '../../../src/platform/saga/saga-tables.ts';
import { CreateOrder } from '../../../src/contracts/events/saga.ts';
import { orchestratorMigrations } from '../../../src/services/saga/saga-migrations.ts';
import { readCheckoutMoneyAtRisk } from '../../../src/services/saga/money-at-risk.ts';
import { assertValidExposition, sampleValue } from '../../support/promtool.ts';

const schema = 'scrape_gauges';
const minutesAgo = (minutes: number): Date => new Date(Date.now() - minutes * 60_000);
const total = { amount: 1_500, currency: 'EUR' };

const oneStep = defineSaga<{ orderId: string }>({
  name: 'one-step',
  steps: [{
    name: 'order',
    invoke: (data) => command(CreateOrder, { orderId: data.orderId, customerId: 'c', restaurantId: 'r', items: [{ productId: 'p', name: 'P', quantity: 1, unitPrice: { amount: 1, currency: 'USD' } }], total: { amount: 1, currency: 'USD' }, deliveryAddress: 'a' }),
  }],
});

describe('gauges read on scrape (PGlite)', () => {
  let database: Database;
  before(async () => {
    database = await openDatabase({ url: 'pglite://memory' });
    await migrateSchema(database.db, schema, orchestratorMigrations);
  });
  after(async () => { await database.close(); });

  async function insertSaga(id: string, fields: { status: string; deadlineAt: Date | null; createdAt: Date; data?: unknown; log?: [string, Date][] }): Promise<void> {
    await sagaDb(database.db, schema).insertInto('saga_instances').values({
      id, saga_type: 'checkout', order_id: id, status: fields.status as never, step_index: 0, awaiting_command_id: null,
      data: JSON.stringify(fields.data ?? { total, captured: false }), failure_reason: null, deadline_at: fields.deadlineAt, attempts: 0, version: 0,
      created_at: fields.createdAt, updated_at: new Date(),
    }).execute();
    for (const [kind, at] of fields.log ?? []) {
      await sql`insert into ${sql.id(schema)}.saga_step_log (saga_id, step, kind, at) values (${id}, 'x', ${kind}, ${at})`.execute(database.db);
    }
  }

  test('stuck sagas: past their deadline, or without progress (resends are not progress), but not one waiting on a deadline ahead', async () => {
    await insertSaga('overdue', { status: 'RUNNING', deadlineAt: minutesAgo(10), createdAt: minutesAgo(11), log: [['command-sent', minutesAgo(11)]] });
    await insertSaga('resending', {
      status: 'RUNNING', deadlineAt: minutesAgo(-1), createdAt: minutesAgo(120),
      log: [['command-sent', minutesAgo(120)], ['command-resent', minutesAgo(3)], ['command-resent', minutesAgo(1)]],
    });
    await insertSaga('waiting', { status: 'RUNNING', deadlineAt: minutesAgo(-30), createdAt: minutesAgo(90), log: [['waiting', minutesAgo(90)]] });
    await insertSaga('fresh', { status: 'COMPENSATING', deadlineAt: minutesAgo(-1), createdAt: minutesAgo(1), data: { total, captured: true }, log: [['failed', minutesAgo(1)]] });
    await insertSaga('done', { status: 'COMPLETED', deadlineAt: null, createdAt: minutesAgo(500), log: [['completed', minutesAgo(499)]] });

    const metrics = new PlatformMetrics({ processMetrics: false });
    metrics.watchSagas(database.db, schema, 60 * 60_000);
    metrics.watchMoneyAtRisk(schema, () => readCheckoutMoneyAtRisk(database.db, schema, 'checkout'));
    const text = await metrics.render();
    await assertValidExposition(text, 'saga gauges');
    assert.equal(sampleValue(text, 'paysaga_sagas_stuck', { type: 'checkout', reason: 'deadline_passed' }), 1, 'overdue');
    assert.equal(sampleValue(text, 'paysaga_sagas_stuck', { type: 'checkout', reason: 'no_progress' }), 1, 'resending for two hours');
    assert.equal(sampleValue(text, 'paysaga_sagas_active', { type: 'checkout', status: 'RUNNING' }), 3);
    assert.equal(sampleValue(text, 'paysaga_sagas_active', { type: 'checkout', status: 'COMPENSATING' }), 1);
    // Three running checkouts (may capture) and one compensating that captured (refund not done); the completed one is not at risk.
    assert.equal(sampleValue(text, 'paysaga_money_at_risk_minor_units', { currency: 'EUR' }), 4 * 1_500);
    await insertSaga('uncaptured-compensating', { status: 'COMPENSATING', deadlineAt: minutesAgo(-1), createdAt: minutesAgo(1), data: { total, captured: false } });
    assert.deepEqual(await readCheckoutMoneyAtRisk(database.db, schema, 'checkout'), [{ currency: 'EUR', amount: 4 * 1_500 }], 'a compensating checkout that never captured holds nothing');
  });

  test('saga transitions are counted once committed: a rolled-back transaction counts nothing', async () => {
    const metrics = new PlatformMetrics({ processMetrics: false });
    const engine = new SagaEngine([oneStep] as never[], { schema, observer: metrics.sagas.observer });
    const transaction = outboxTransaction(database.db, schema);
    await assert.rejects(transaction(async (trx, publish, afterCommit) => {
      await engine.start(trx, publish, oneStep, { sagaId: 'rolled-back', orderId: 'o-1', data: { orderId: 'o-1' } }, afterCommit);
      throw new Error('the rest of the transaction failed');
    }), /the rest of the transaction failed/);
    assert.equal(sampleValue(await metrics.render(), 'paysaga_sagas_started_total', { type: 'one-step' }), undefined);
    await transaction((trx, publish, afterCommit) => engine.start(trx, publish, oneStep, { sagaId: 'committed', orderId: 'o-2', data: { orderId: 'o-2' } }, afterCommit));
    assert.equal(sampleValue(await metrics.render(), 'paysaga_sagas_started_total', { type: 'one-step' }), 1);
  });

  test('a database that is away or slow does not fail the scrape: the source is reported down and the rest is served', async () => {
    const away = await openDatabase({ url: 'postgres://postgres@127.0.0.1:9/nothing_listens_here' });
    const errors: string[] = [];
    const metrics = new PlatformMetrics({ processMetrics: false, collectTimeoutMs: 300, onCollectError: (source) => { errors.push(source); } });
    try {
      metrics.watchSchema(away.db, 'payment');
      metrics.watchMoneyAtRisk('slow', () => new Promise(() => undefined));
      metrics.messages.recordPublished([{ topic: 'payment.completed', key: 'k', value: Buffer.from('{}'), headers: { 'paysaga-type': 'PaymentCompleted' } }]);
      const text = await metrics.render();
      await assertValidExposition(text, 'a process whose database is away');
      assert.equal(sampleValue(text, 'paysaga_metrics_source_up', { source: 'outbox:payment' }), 0);
      assert.equal(sampleValue(text, 'paysaga_metrics_source_up', { source: 'money-at-risk:slow' }), 0, 'a read past the timeout is dropped');
      assert.equal(sampleValue(text, 'paysaga_outbox_backlog', { schema: 'payment' }), undefined, 'nothing made up for what could not be read');
      assert.equal(sampleValue(text, 'paysaga_payment_outcomes_total', { outcome: 'succeeded' }), 1, 'what is known is still reported');
      assert.deepEqual([...new Set(errors)].sort(), ['dead-letters:payment', 'money-at-risk:slow', 'outbox:payment']);
      assert.deepEqual(await metrics.outboxes(), [{ schema: 'payment', state: null }], 'readiness sees the outbox as unknown');
    } finally {
      await away.close();
    }
  });
});
