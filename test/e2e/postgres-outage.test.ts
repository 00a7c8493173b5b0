import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { SERVICE_NAMES, SERVICE_SCHEMAS } from '../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../src/cli/start.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { issueToken, type Role } from '../../src/platform/http/auth.ts';
import { namespacedSchema } from '../../src/platform/messaging/open-transport.ts';
import { eventually, testSecrets, uniqueName } from '../support/env.ts';
import { captureLogs } from '../support/log-capture.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { requestJson, type HttpAnswer } from '../support/service-calls.ts';
import { PIZZA } from './marketplace-client.ts';

type Json = Record<string, unknown>;
interface Caller { role: Role; subject: string }
const customer: Caller = { role: 'customer', subject: 'cust-outage' };
const admin: Caller = { role: 'admin', subject: 'admin-outage' };
const checkoutBody: Json = { restaurantId: 'resto-1', items: [{ ...PIZZA, quantity: 1 }], deliveryAddress: '1 Main Street' };
const OUTAGE_WAIT_MS = 90_000;

/**
 * Issue 7 finding 15: a real PostgreSQL restart (a private server, stopped and
 * started) while checkouts are in flight. The process survives, readiness and
 * the API answer 503 (+ Retry-After) meanwhile, and once the database is back
 * every saga completes with exactly one order per checkout.
 */
describe('a PostgreSQL restart mid-traffic (issue 7, finding 15)', () => {
  let postgres: PrivatePostgres | undefined;
  let started: StartedPlatform | undefined;
  let orderSchema = '';
  let postgresDown = false;
  const logs = captureLogs('info');
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => { crashes.push(error); };

  before(async () => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    postgres = await startPrivatePostgres();
    const env = { ...testSecrets(), DATABASE_URL: postgres.url, PAYSAGA_NAMESPACE: uniqueName('pgdown'), NOTIFICATION_LOG_FILE: '/dev/null' };
    const config = { ...loadConfig(env), kafkaBrokers: [], httpPort: 0 };
    orderSchema = namespacedSchema(config, SERVICE_SCHEMAS.order);
    started = await startPlatform(config, { services: SERVICE_NAMES, installSignals: false, logger: logs.logger });
  });
  after(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    // A test that failed mid-outage brings the server back first, so the platform stops promptly rather than waiting out its shutdown bound.
    try {
      if (postgresDown) await postgres?.start();
      await started?.stop();
    } finally { await postgres?.destroy(); }
  });

  const call = async (method: 'GET' | 'POST', path: string, as: Caller, body?: unknown): Promise<HttpAnswer> => {
    if (!started) throw new Error('platform not started');
    const token = await issueToken(started.authSecret, { role: as.role, subject: as.subject });
    return requestJson(started.url, method, path, { token, body });
  };
  const readiness = async (): Promise<number> => (await fetch(`${started?.url}/health/ready`)).status;
  const sagaStatus = async (sagaId: string): Promise<unknown> => (await call('GET', `/sagas/${sagaId}`, admin)).body.status;

  async function paidCheckout(): Promise<{ orderId: string; sagaId: string }> {
    const checkout = await call('POST', '/checkout', customer, checkoutBody);
    assert.equal(checkout.status, 201, JSON.stringify(checkout.body));
    const { orderId, sagaId, paymentId } = checkout.body as { orderId: string; sagaId: string; paymentId: string };
    const paid = await call('POST', `/payments/${paymentId}/confirm`, customer, { paymentMethod: 'pm_card_visa' });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    return { orderId, sagaId };
  }

  test('the process stays up, answers 503 with Retry-After while the database is away, and every saga completes once it is back', async () => {
    if (!postgres || !started) throw new Error('setup failed');
    const settled = await paidCheckout();
    await eventually('the first checkout completes', async () => (await sagaStatus(settled.sagaId)) === 'COMPLETED', OUTAGE_WAIT_MS);
    assert.equal(await readiness(), 200);

    // Paid and still running through its steps when the server goes (the relay and the consumers are mid-work).
    const inFlight = await paidCheckout();
    const outageBegan = new Date();
    await postgres.stop();
    postgresDown = true;

    await eventually('readiness says 503 while the database is away', async () => (await readiness()) === 503, OUTAGE_WAIT_MS);
    const read = await call('GET', `/orders/${settled.orderId}`, customer);
    assert.equal(read.status, 503, `a read meets the outage: ${read.status} ${JSON.stringify(read.body)}`);
    assert.equal(read.headers.get('retry-after'), '2');
    assert.equal((read.body.error as Json).code, 'service_unavailable');
    const write = await call('POST', '/checkout', customer, checkoutBody);
    assert.equal(write.status, 503, `a checkout meets the outage: ${write.status} ${JSON.stringify(write.body)}`);
    assert.equal(write.headers.get('retry-after'), '2');
    // Let the workers (relays, consumers, pollers) meet the outage for a while before it ends.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const health = await fetch(`${started.url}/health/ready`);
    assert.equal(health.status, 503, 'still not ready');
    const report = (await health.json()) as { status: string; components: Record<string, { status: string }> };
    assert.equal(report.status, 'not ready');
    assert.equal(report.components.database?.status, 'unhealthy', 'readiness names the database');
    assert.equal((await fetch(`${started.url}/health/live`)).status, 200, 'alive: nothing to restart');

    await postgres.start();
    postgresDown = false;
    await eventually('readiness returns to 200', async () => (await readiness()) === 200, OUTAGE_WAIT_MS);
    await eventually('the checkout in flight completes', async () => (await sagaStatus(inFlight.sagaId)) === 'COMPLETED', OUTAGE_WAIT_MS);
    const timeline = (await call('GET', `/sagas/${inFlight.sagaId}`, admin)).body.timeline as { kind: string; at: string }[];
    const completedAt = new Date(String(timeline.find((entry) => entry.kind === 'completed')?.at));
    assert.ok(completedAt >= outageBegan, `the saga was still running when the database went (completed ${completedAt.toISOString()}, outage ${outageBegan.toISOString()})`);
    const after = await paidCheckout();
    await eventually('a checkout after the outage completes', async () => (await sagaStatus(after.sagaId)) === 'COMPLETED', OUTAGE_WAIT_MS);
    assert.equal(await sagaStatus(settled.sagaId), 'COMPLETED');
    for (const { orderId } of [settled, inFlight, after]) {
      const order = await call('GET', `/orders/${orderId}`, customer);
      assert.equal(order.status, 200);
      assert.equal(order.body.status, 'CONFIRMED', `order ${orderId}`);
    }
    const orders = await sql<{ count: string }>`select count(*)::text as count from ${sql.id(orderSchema)}.orders`.execute(started.db);
    assert.equal(orders.rows[0]?.count, '3', 'one order per accepted checkout: none lost, none doubled (the refused one made none)');
    assert.deepEqual(crashes, [], 'no uncaught exception or unhandled rejection');
    // What an operator sees (docs/runbook.md, "PostgreSQL down"): warnings that say it is retried, never a crash.
    const messages = new Set(logs.lines().map((line) => line.msg));
    for (const seen of ['database unavailable: answered 503 with Retry-After', 'outbox publish failed; nothing marked, retrying']) assert.ok(messages.has(seen), `logged: ${seen}`);
  });
});
