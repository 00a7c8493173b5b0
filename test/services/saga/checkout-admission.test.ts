import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { SERVICE_NAMES } from '../../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../../src/cli/start.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import { issueToken } from '../../../src/platform/http/auth.ts';
import { fallbackLogger } from '../../../src/platform/observability/logger.ts';
import { CheckoutAdmission } from '../../../src/services/saga/checkout-admission.ts';
import { orchestratorMigrations } from '../../../src/services/saga/saga-migrations.ts';
import { eventually } from '../../support/env.ts';

describe('checkout admission: the count of checkout sagas in flight', () => {
  let database: Database;
  before(async () => {
    database = await openDatabase({ url: 'pglite://memory' });
    await migrateSchema(database.db, 'saga', orchestratorMigrations);
  });
  after(async () => { await database.close(); });

  const insertSaga = (id: string, type: string, status: string) => sql`insert into saga.saga_instances (id, saga_type, order_id, status, step_index, data)
    values (${id}, ${type}, ${id}, ${status}, 0, '{}')`.execute(database.db);

  test('counts running and compensating checkouts in the table (another instance started them), not ended ones nor other saga types', async () => {
    const admission = new CheckoutAdmission({ db: database.db, schema: 'saga', sagaType: 'checkout', maxInFlight: 3, logger: fallbackLogger() });
    await insertSaga('a', 'checkout', 'RUNNING');
    await insertSaga('b', 'checkout', 'COMPENSATING');
    await insertSaga('c', 'checkout', 'COMPLETED');
    await insertSaga('d', 'partial-refund', 'RUNNING');
    await admission.refresh();
    assert.equal(admission.inFlight, 2);
    assert.deepEqual(admission.decide(), { admitted: true });
    // A start this process committed counts at once, before the next read of the table.
    admission.observer.started('checkout');
    admission.observer.started('partial-refund');
    assert.deepEqual(admission.decide(), { admitted: false, inFlight: 3, limit: 3, retryAfterSeconds: 1 });
    admission.observer.finished('checkout');
    assert.deepEqual(admission.decide(), { admitted: true });
    // The next read replaces what was counted locally by what the table holds.
    await insertSaga('e', 'checkout', 'RUNNING');
    await insertSaga('f', 'checkout', 'RUNNING');
    await admission.refresh();
    assert.equal(admission.inFlight, 4);
    assert.equal(admission.decide().admitted, false);
  });
});

describe('POST /checkout past CHECKOUT_MAX_IN_FLIGHT (embedded mode)', () => {
  let started: StartedPlatform;
  let customer: string;
  before(async () => {
    started = await startPlatform({ ...loadConfig({ NOTIFICATION_LOG_FILE: '/dev/null', CHECKOUT_MAX_IN_FLIGHT: '2', LOG_LEVEL: 'warn' }), httpPort: 0 }, {
      services: SERVICE_NAMES, installSignals: false,
    });
    customer = await issueToken(started.authSecret, { subject: 'cust-admission', role: 'customer' });
  });
  after(async () => { await started.stop(); });

  const checkout = async (idempotencyKey?: string) => {
    const response = await started.http.inject({
      method: 'POST', url: '/checkout',
      headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      payload: JSON.stringify({ restaurantId: 'resto-1', deliveryAddress: '1 Main Street', items: [{ productId: 'margherita', name: 'Pizza', quantity: 1, unitPrice: { amount: 1_200, currency: 'USD' } }] }),
    });
    return { status: response.statusCode, retryAfter: response.headers['retry-after'], body: JSON.parse(response.body) as Record<string, unknown> };
  };

  test('two unpaid checkouts fill the bound: the third is refused with 503 + Retry-After, nothing started; once one ends, the same Idempotency-Key is admitted', async () => {
    const first = await checkout();
    const second = await checkout();
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(second.status, 201, JSON.stringify(second.body));
    const shed = await checkout('retry-me');
    assert.equal(shed.status, 503, JSON.stringify(shed.body));
    assert.equal(shed.retryAfter, '1');
    assert.deepEqual(shed.body, { error: { code: 'overloaded', message: 'too many checkouts in flight (2 of 2); retry after 1 s', details: { inFlight: 2, limit: 2 } } });
    const sagas = await sql<{ n: string }>`select count(*)::text as n from saga.saga_instances where saga_type = 'checkout'`.execute(started.db);
    assert.equal(sagas.rows[0]?.n, '2', 'a refused checkout starts no saga');

    const paid = await started.http.inject({
      method: 'POST', url: `/payments/${String(first.body.paymentId)}/confirm`,
      headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/json' }, payload: JSON.stringify({ paymentMethod: 'pm_card_visa' }),
    });
    assert.equal(paid.statusCode, 200, paid.body);
    const admitted = await eventually('admitted once the first checkout completed', async () => {
      const retried = await checkout('retry-me');
      return retried.status === 503 ? undefined : retried;
    }, 30_000);
    assert.equal(admitted.status, 201, 'the key of the shed request was not kept with its 503');
  });
});
