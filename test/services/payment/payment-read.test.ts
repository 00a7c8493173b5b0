import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import { findPayment, findPaymentWithRefunds } from '../../../src/services/payment/application/payment-repository.ts';
import { paymentMigrations } from '../../../src/services/payment/store/migrations.ts';
import { paymentDb } from '../../../src/services/payment/store/tables.ts';
import { freshSchema } from '../../support/database.ts';
import { postgresUrl } from '../../support/env.ts';

// A payment's view reads the payment and its refunds in one statement (the refunds aggregated as JSON); what it hands
// the view must be exactly what two reads give — oldest refund first (by its full-precision timestamp, then id),
// timestamps to the millisecond, a payment without refunds with none.
for (const url of [postgresUrl(), 'pglite://memory']) {
  test(`a payment with its refunds in one read equals the two reads (${url.split(':')[0]})`, async () => {
    const { database, schema, drop } = await freshSchema(url);
    try {
      await migrateSchema(database.db, schema, paymentMigrations);
      const db = paymentDb(database.db, schema);
      for (const id of ['pay_with', 'pay_without']) {
        await db.insertInto('payments').values({
          id, order_id: `ord_${id}`, customer_id: 'cust-1', amount: 5_000, currency: 'EUR', status: 'PARTIALLY_REFUNDED', description: 'two "quoted" pizzas \\ one',
          stripe_payment_intent_id: `pi_${id}`, client_secret: null, payment_method: 'pm_card_visa', stripe_charge_id: `ch_${id}`, receipt_url: null,
          next_action_url: null, failure_code: null, decline_code: null, failure_reason: null, cancel_reason: null, amount_refunded: 1_500, refund_pending: 0,
          correlation_id: 'corr', causation_id: null, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', version: 4, updated_at: new Date(),
        }).execute();
      }
      // Inserted out of order; two share a millisecond and differ in microseconds, two share a timestamp (id decides).
      const refunds = [['ref_c', '10:00:00.500900'], ['ref_a', '10:00:00.500100'], ['ref_b', '10:00:00.500100'], ['ref_0', '09:59:59.000001']] as const;
      for (const [id, at] of refunds) {
        await sql`insert into ${sql.table(`${schema}.refunds`)} (id, payment_id, refund_request_id, amount, currency, reason, status, stripe_refund_id, failure_reason, correlation_id, causation_id, created_at, updated_at)
          values (${id}, 'pay_with', ${`req_${id}`}, 500, 'EUR', 'requested_by_customer', 'succeeded', ${`re_${id}`}, null, 'corr', null, ${`2026-12-07 ${at}+00`}::timestamptz, ${`2026-12-07 ${at}+00`}::timestamptz)`.execute(database.db);
      }
      const apart = async (id: string) => ({
        row: await findPayment(database.db, schema, id),
        refunds: await db.selectFrom('refunds').selectAll().where('payment_id', '=', id).orderBy('created_at').orderBy('id').execute(),
      });
      const together = await findPaymentWithRefunds(database.db, schema, 'pay_with');
      assert.deepEqual(together, await apart('pay_with'));
      assert.deepEqual(together?.refunds.map((refund) => refund.id), ['ref_0', 'ref_a', 'ref_b', 'ref_c']);
      assert.deepEqual(await findPaymentWithRefunds(database.db, schema, 'pay_without'), { ...await apart('pay_without'), refunds: [] });
      assert.equal(await findPaymentWithRefunds(database.db, schema, 'pay_none'), undefined);
    } finally {
      await drop();
    }
  });
}
