import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { auditBooks, auditSchemas, stripeGatewayRecords, type AuditReport, type AuditSchemas, type GatewayRecords } from '../../../src/cli/audit/audit-books.ts';
import type { GatewayBooks } from '../../../src/cli/audit/books.ts';
import { formatReport } from '../../../src/cli/audit/format-report.ts';
import { SERVICE_NAMES } from '../../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../../src/cli/start.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { MarketplaceClient } from '../../e2e/marketplace-client.ts';
import { eventually, postgresUrl, testSecrets, uniqueName } from '../../support/env.ts';

class RolledBack extends Error {}

/**
 * A real run (every service in one process on PostgreSQL, the gateway
 * simulator) in a throwaway namespace: checkouts paid and declined, a
 * cancellation refunded, a partial refund. Its books audit clean; then each
 * invariant is broken by SQL inside a transaction that is rolled back, and the
 * auditor must name it.
 */
describe('paysaga audit: the invariants over a real run\'s books', () => {
  const namespace = uniqueName('audit');
  let started: StartedPlatform;
  let client: MarketplaceClient;
  let schemas: AuditSchemas;
  let gatewayBooks: GatewayBooks;
  const ids: Record<string, string> = {};
  const recorded = (books: GatewayBooks): GatewayRecords => ({ read: () => Promise.resolve(structuredClone(books)) });

  /** The audit of the books as they are after `corrupt` ran, then every change undone. */
  async function auditCorrupted(corrupt: (trx: Kysely<unknown>) => Promise<unknown>, gateway: GatewayBooks = gatewayBooks): Promise<AuditReport> {
    let report: AuditReport | null = null;
    await started.db.transaction().execute(async (trx) => {
      await corrupt(trx);
      report = await auditBooks(trx, { schemas, gateway: recorded(gateway) });
      throw new RolledBack();
    }).catch((error: unknown) => { if (!(error instanceof RolledBack)) throw error; });
    assert.ok(report);
    return report;
  }

  function violationsOf(report: AuditReport, check: string): string[] {
    const result = report.checks.find((candidate) => candidate.name === check);
    assert.ok(result, `no check named ${check}`);
    return result.violations.map((violation) => `${violation.message} ${JSON.stringify(violation.ids)}`);
  }

  function onlyViolated(report: AuditReport, check: string, mentioning: string): void {
    const found = violationsOf(report, check);
    assert.ok(found.some((text) => text.includes(mentioning)), `${check} should name ${mentioning}; found ${JSON.stringify(found)}\n${formatReport(report)}`);
  }

  before(async () => {
    const config = loadConfig({ ...testSecrets(), DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: namespace, NOTIFICATION_LOG_FILE: '/dev/null', LOG_LEVEL: 'warn' });
    started = await startPlatform({ ...config, httpPort: 0 }, { services: SERVICE_NAMES, installSignals: false });
    const url = started.url;
    client = await MarketplaceClient.create({ checkout: url, payment: url, order: url, inventory: url, delivery: url, notification: url }, started.authSecret);
    schemas = auditSchemas(namespace);

    const paid = await client.checkout(1);
    assert.equal(paid.status, 201, paid.text);
    assert.equal((await client.pay(String(paid.body.paymentId), 'pm_card_visa')).status, 200);
    await client.sagaReaches(String(paid.body.sagaId), 'COMPLETED');
    ids.paidOrder = String(paid.body.orderId);
    ids.paidPayment = String(paid.body.paymentId);

    const declined = await client.checkout(2);
    assert.equal((await client.pay(String(declined.body.paymentId), 'pm_card_visa_chargeDeclined')).status, 402);
    await client.sagaReaches(String(declined.body.sagaId), 'COMPENSATED');
    ids.declinedOrder = String(declined.body.orderId);

    const cancelled = await client.checkout(1);
    assert.equal((await client.pay(String(cancelled.body.paymentId), 'pm_card_visa')).status, 200);
    await client.sagaReaches(String(cancelled.body.sagaId), 'COMPLETED');
    ids.refundedOrder = String(cancelled.body.orderId);
    assert.equal((await client.call('POST', `${url}/orders/${ids.refundedOrder}/cancel`, 'customer', { reason: 'changed my mind' })).status, 202);
    await client.orderReaches(ids.refundedOrder, 'REFUNDED');

    const partial = await client.call('POST', `${url}/orders/${ids.paidOrder}/refunds`, 'admin', { amount: { amount: 500, currency: 'USD' }, reason: 'cold pizza' });
    assert.equal(partial.status, 202, partial.text);
    await client.sagaReaches(String(partial.body.sagaId), 'COMPLETED');

    // Quiet: every saga ended, every notice recorded, every outbox drained.
    gatewayBooks = await stripeGatewayRecords({ apiKey: 'sk_test_audit', apiBase: started.gatewayUrl }).read();
    await eventually('the books settle', async () => {
      const report = await auditBooks(started.db, { schemas, gateway: recorded(gatewayBooks) });
      const notices = await sql<{ n: string }>`select count(*) as n from ${sql.table(`${schemas.notification}.notifications`)}`.execute(started.db);
      return report.violations === 0 && Number(notices.rows[0]?.n) >= 4 ? report : undefined;
    }, 60_000);
  });

  after(async () => {
    await started.stop();
    const cleanup = await startPlatformDb();
    for (const schema of [...Object.values(schemas), `${namespace.replaceAll('-', '_')}_platform`]) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(cleanup.db);
    await cleanup.close();
  });

  test('a clean run has no violation, and every check looked at something', async () => {
    const report = await auditBooks(started.db, { schemas, gateway: stripeGatewayRecords({ apiKey: 'sk_test_audit', apiBase: started.gatewayUrl }) });
    assert.equal(report.violations, 0, formatReport(report));
    // A clean run leaves no dead letter to look at; every other check had something.
    for (const check of report.checks.filter((c) => c.name !== 'dead-letters-accounted')) assert.ok(check.checked > 0, `${check.name} checked nothing`);
    assert.ok(gatewayBooks.intents.length >= 3 && gatewayBooks.refunds.length >= 2, JSON.stringify(gatewayBooks).slice(0, 300));
    assert.match(formatReport(report), /0 violations/);
  });

  test('sagas-settled: a saga running past its deadline, or with none, is stuck', async () => {
    const report = await auditCorrupted((trx) => sql`update ${sql.table(`${schemas.saga}.saga_instances`)} set status = 'RUNNING', deadline_at = now() - interval '1 hour' where order_id = ${ids.paidOrder} and saga_type = 'checkout'`.execute(trx));
    onlyViolated(report, 'sagas-settled', ids.paidOrder ?? '');
    const none = await auditCorrupted((trx) => sql`update ${sql.table(`${schemas.saga}.saga_instances`)} set status = 'COMPENSATING', deadline_at = null where order_id = ${ids.declinedOrder}`.execute(trx));
    onlyViolated(none, 'sagas-settled', 'no deadline');
  });

  test('order-money: an order whose status does not match its money', async () => {
    const report = await auditCorrupted((trx) => sql`update ${sql.table(`${schemas.order}.orders`)} set status = 'CANCELLED' where id = ${ids.paidOrder}`.execute(trx));
    onlyViolated(report, 'order-money', ids.paidOrder ?? '');
    const refunded = await auditCorrupted((trx) => sql`update ${sql.table(`${schemas.order}.orders`)} set status = 'DELIVERED' where id = ${ids.refundedOrder}`.execute(trx));
    onlyViolated(refunded, 'order-money', ids.refundedOrder ?? '');
  });

  test('no-double-capture: a second captured payment of one order, or a second captured intent at the gateway', async () => {
    const report = await auditCorrupted((trx) => sql`insert into ${sql.table(`${schemas.payment}.payments`)}
      (id, order_id, customer_id, amount, currency, status, correlation_id, traceparent)
      select 'pay_twice', order_id, customer_id, amount, currency, 'COMPLETED', correlation_id, traceparent from ${sql.table(`${schemas.payment}.payments`)} where id = ${ids.paidPayment}`.execute(trx));
    onlyViolated(report, 'no-double-capture', 'pay_twice');
    const captured = gatewayBooks.intents.find((intent) => intent.metadata.orderId === ids.paidOrder);
    assert.ok(captured);
    const twice = { ...gatewayBooks, intents: [...gatewayBooks.intents, { ...captured, id: 'pi_twice' }] };
    onlyViolated(await auditCorrupted(() => Promise.resolve(), twice), 'no-double-capture', 'pi_twice');
  });

  test('refunds-within-capture: a refund above what was captured', async () => {
    const report = await auditCorrupted(async (trx) => {
      const refunds = sql.table(`${schemas.payment}.refunds`);
      await sql`alter table ${sql.table(`${schemas.payment}.payments`)} drop constraint if exists payments_check`.execute(trx);
      await sql`update ${refunds} set amount = amount + 100000 where payment_id = ${ids.paidPayment}`.execute(trx);
      await sql`update ${sql.table(`${schemas.payment}.payments`)} set amount_refunded = amount_refunded + 100000 where id = ${ids.paidPayment}`.execute(trx);
    });
    onlyViolated(report, 'refunds-within-capture', ids.paidPayment ?? '');
    onlyViolated(report, 'payments-match-gateway', ids.paidPayment ?? '');
  });

  test('payments-match-gateway: a refund at the gateway that the payment service does not know', async () => {
    const [first] = gatewayBooks.refunds;
    assert.ok(first);
    const stray = { ...gatewayBooks, refunds: [...gatewayBooks.refunds, { ...first, id: 're_stray' }] };
    onlyViolated(await auditCorrupted(() => Promise.resolve(), stray), 'payments-match-gateway', 're_stray');
  });

  test('notices-match-outcomes: "refunded" told of an order that was never refunded', async () => {
    const report = await auditCorrupted((trx) => sql`update ${sql.table(`${schemas.notification}.notifications`)} set order_id = ${ids.declinedOrder}, kind = 'order-refunded' where order_id = ${ids.refundedOrder} and kind = 'order-refunded'`.execute(trx));
    onlyViolated(report, 'notices-match-outcomes', ids.declinedOrder ?? '');
  });

  test('stock-conserved: units that vanished, or a reservation counted twice', async () => {
    const report = await auditCorrupted((trx) => sql`update ${sql.table(`${schemas.inventory}.stock`)} set on_hand = on_hand - 1 where product_id = 'margherita'`.execute(trx));
    onlyViolated(report, 'stock-conserved', 'margherita');
    const held = await auditCorrupted((trx) => sql`update ${sql.table(`${schemas.inventory}.stock`)} set reserved = reserved + 1 where product_id = 'margherita'`.execute(trx));
    onlyViolated(held, 'stock-conserved', 'held reservations hold');
  });

  test('outbox-published: a row left unpublished', async () => {
    const report = await auditCorrupted((trx) => sql`update ${sql.table(`${schemas.order}.outbox`)} set published_at = null where id = (select min(id) from ${sql.table(`${schemas.order}.outbox`)})`.execute(trx));
    onlyViolated(report, 'outbox-published', 'never published');
  });

  test('events-applied-once: an event a consumer never applied, and an effect applied twice', async () => {
    const report = await auditCorrupted((trx) => sql`delete from ${sql.table(`${schemas.payment}.inbox`)} where event_id = (select event_id from ${sql.table(`${schemas.payment}.inbox`)} where topic = 'payment.commands' limit 1)`.execute(trx));
    onlyViolated(report, 'events-applied-once', 'never applied');
    const twice = await auditCorrupted((trx) => sql`insert into ${sql.table(`${schemas.saga}.saga_step_log`)} (saga_id, step, kind) select saga_id, step, kind from ${sql.table(`${schemas.saga}.saga_step_log`)} where kind = 'succeeded' limit 1`.execute(trx));
    onlyViolated(twice, 'events-applied-once', 'more than once');
  });

  test('dead-letters-accounted: a pending dead letter is reported, a discarded one needs its reason', async () => {
    const insert = (status: string, note: string | null) => (trx: Kysely<unknown>) => sql`insert into ${sql.table(`${schemas.order}.dead_letters`)}
      (consumer_group, topic, partition, "offset", key, value, headers, reason, error, attempts, status, note)
      values ('order', 'order.commands', 0, 1, 'poison', '\\x00', '{}', 'malformed', 'not JSON', 0, ${status}, ${note})`.execute(trx);
    onlyViolated(await auditCorrupted(insert('pending', null)), 'dead-letters-accounted', 'pending');
    onlyViolated(await auditCorrupted(insert('discarded', null)), 'dead-letters-accounted', 'without a note');
    assert.equal(violationsOf(await auditCorrupted(insert('discarded', 'garbage from a test')), 'dead-letters-accounted').length, 0);
  });
});

async function startPlatformDb(): Promise<{ db: Kysely<unknown>; close(): Promise<void> }> {
  const { openDatabase } = await import('../../../src/platform/database/database.ts');
  return openDatabase({ url: postgresUrl() });
}
