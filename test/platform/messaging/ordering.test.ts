import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { OrderUpdated } from '../../../src/contracts/events/order.ts';
import { MessageConsumer } from '../../../src/platform/messaging/message-consumer.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { openPipeline, type Pipeline } from '../../support/pipeline.ts';
import { orderUpdated } from '../../support/sample-events.ts';

let pipe: Pipeline;
before(async () => {
  pipe = await openPipeline('kafka+postgres');
  await sql`create table ${sql.id(pipe.schema)}.effects (id bigserial primary key, order_id text not null, seq int not null, event_id text not null)`.execute(pipe.database.db);
});
after(() => pipe.close());

test('per-key order of effects holds across a rebalance and a consumer restart; nothing applied twice', async () => {
  const s = sql.id(pipe.schema);
  const group = uniqueName('ordered');
  const orders = Array.from({ length: 6 }, () => uniqueName('order'));
  const events = orders.flatMap((orderId) => Array.from({ length: 30 }, (_, seq) => orderUpdated(orderId, seq)));
  const member = () => new MessageConsumer({ groupId: group, schema: pipe.schema, db: pipe.database.db, transport: pipe.transport })
    .on(OrderUpdated, async (envelope, { trx }) => {
      if (!orders.includes(envelope.key)) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
      await sql`insert into ${s}.effects (order_id, seq, event_id) values (${envelope.key}, ${Number(envelope.payload.reason)}, ${envelope.eventId})`.execute(trx);
    });
  const done = async () => Number((await sql<{ n: string }>`select count(*) as n from ${s}.effects`.execute(pipe.database.db)).rows[0]?.n);

  for (const event of events) await pipe.send(OrderUpdated.topic, event);
  const first = member();
  await first.start();
  await eventually('some progress', async () => (await done()) >= 30, 60_000);
  const second = member();
  await second.start(); // rebalance: partitions move while records are in flight
  await eventually('more progress', async () => (await done()) >= 90, 60_000);
  await first.stop(); // the first member leaves: the second takes everything
  const third = member();
  await third.start(); // and a restarted member joins again
  await eventually('all 180 effects', async () => (await done()) >= 180, 90_000);
  await Promise.all([second.stop(), third.stop()]);

  const rows = (await sql<{ order_id: string; seq: number }>`select order_id, seq from ${s}.effects order by id`.execute(pipe.database.db)).rows;
  assert.equal(rows.length, 180, 'each event applied once');
  for (const orderId of orders) {
    assert.deepEqual(rows.filter((row) => row.order_id === orderId).map((row) => row.seq), Array.from({ length: 30 }, (_, seq) => seq), `order of ${orderId}`);
  }
});
