import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import { findOrderRow, findOrderWithHistory, historyOf } from '../../../src/services/order/application/order-repository.ts';
import { orderMigrations } from '../../../src/services/order/store/migrations.ts';
import { orderDb } from '../../../src/services/order/store/tables.ts';
import { freshSchema } from '../../support/database.ts';
import { postgresUrl } from '../../support/env.ts';

// GET /orders/:id reads an order and its history in one statement (the history aggregated as JSON); what it hands the
// view must be exactly what the two reads give — timestamps to the millisecond, entries oldest first.
for (const url of [postgresUrl(), 'pglite://memory']) {
  test(`an order with its history in one read equals the row and history read apart (${url.split(':')[0]})`, async () => {
    const { database, schema, drop } = await freshSchema(url);
    try {
      await migrateSchema(database.db, schema, orderMigrations);
      const db = orderDb(database.db, schema);
      await db.insertInto('orders').values({
        id: 'ord_read', customer_id: 'cust-1', restaurant_id: 'resto-1', items: JSON.stringify([{ productId: 'p', name: 'P', quantity: 2, unitPrice: { amount: 600, currency: 'EUR' } }]),
        total_amount: 1_200, currency: 'EUR', delivery_address: 'Street 1', status: 'CONFIRMED', payment_id: 'pay_read', cancel_reason: null,
        correlation_id: 'corr', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', version: 3, updated_at: new Date(),
      }).execute();
      // Written newest first, with microseconds and a reason that needs JSON escaping: order and precision come from the read.
      const statuses = [['PREPARING', 'CONFIRMED', 'paid "in full" \\ ok'], ['CONFIRMED', 'PAYMENT_PENDING', 'payment'], ['PAYMENT_PENDING', null, 'checkout']] as const;
      for (const [index, [to, from, reason]] of statuses.entries()) {
        await sql`insert into ${sql.table(`${schema}.order_status_history`)} (order_id, seq, from_status, to_status, reason, at)
          values ('ord_read', ${3 - index}, ${from}, ${to}, ${reason}, timestamptz '2026-12-07 10:00:00.123987+00' + ${`${index} seconds`}::interval)`.execute(database.db);
      }
      const apart = { row: await findOrderRow(database.db, schema, 'ord_read'), history: await historyOf(database.db, schema, 'ord_read') };
      const together = await findOrderWithHistory(database.db, schema, 'ord_read');
      assert.deepEqual(together, apart);
      assert.deepEqual(together?.history.map((entry) => entry.seq), [1, 2, 3]);
      assert.equal(await findOrderWithHistory(database.db, schema, 'ord_none'), undefined);
    } finally {
      await drop();
    }
  });
}
