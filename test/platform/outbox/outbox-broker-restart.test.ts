import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { OrderUpdated } from '../../../src/contracts/events/order.ts';
import { MessageConsumer } from '../../../src/platform/messaging/message-consumer.ts';
import { enqueueEvents } from '../../../src/platform/outbox/outbox.ts';
import { DedicatedBroker } from '../../support/dedicated-broker.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { openPipeline, type Pipeline } from '../../support/pipeline.ts';
import { orderUpdated } from '../../support/sample-events.ts';

const broker = new DedicatedBroker(19092);
let pipe: Pipeline;
let consumer: MessageConsumer;

before(async () => {
  broker.start();
  pipe = await openPipeline('kafka+postgres', { brokers: broker.brokers });
  const s = sql.id(pipe.schema);
  await sql`create table ${s}.orders (id text primary key)`.execute(pipe.database.db);
  await sql`create table ${s}.effects (event_id text not null)`.execute(pipe.database.db);
  consumer = new MessageConsumer({ groupId: uniqueName('svc'), schema: pipe.schema, db: pipe.database.db, transport: pipe.transport })
    .on(OrderUpdated, async (envelope, { trx }) => { await sql`insert into ${s}.effects values (${envelope.eventId})`.execute(trx); });
  await consumer.start();
});

after(async () => {
  await consumer.stop(2_000);
  await pipe.close();
  broker.stop();
});

/** A service's unit of work: a state change and its event, in one transaction. */
async function placeOrder(): Promise<string> {
  const event = orderUpdated(uniqueName('order'));
  await pipe.database.db.transaction().execute(async (trx) => {
    await sql`insert into ${sql.id(pipe.schema)}.orders values (${event.key})`.execute(trx);
    await enqueueEvents(trx, pipe.schema, [{ topic: OrderUpdated.topic, envelope: event }]);
  });
  pipe.relay.wake();
  return event.eventId;
}

test('killing the broker mid-stream loses no event and applies none twice', async () => {
  const s = sql.id(pipe.schema);
  const count = async (query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(pipe.database.db)).rows[0]?.n);
  const sent: string[] = [];
  for (let index = 0; index < 50; index += 1) sent.push(await placeOrder());
  await eventually('first 50 effects', async () => (await count(sql`select count(*) as n from ${s}.effects`)) === 50, 60_000);

  broker.stopNode();
  // The service keeps accepting work while Kafka is down: the outbox grows.
  for (let index = 0; index < 100; index += 1) sent.push(await placeOrder());
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const backlogWhileDown = await pipe.relay.backlog();
  assert.equal(backlogWhileDown, 100, 'every event written while the broker was down waits in the outbox');

  broker.startNode();
  await eventually('all 150 effects', async () => (await count(sql`select count(*) as n from ${s}.effects`)) >= 150, 120_000);
  await eventually('empty outbox', async () => (await pipe.relay.backlog()) === 0, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  const effects = await count(sql`select count(*) as n from ${s}.effects`);
  const distinct = await count(sql`select count(distinct event_id) as n from ${s}.effects`);
  const orders = await count(sql`select count(*) as n from ${s}.orders`);
  const missing = await count(sql`select count(*) as n from unnest(${sent}::text[]) as sent(id) where id not in (select event_id from ${s}.effects)`);
  console.log(`# broker restart: orders written ${orders}, events sent ${sent.length}, backlog while down ${backlogWhileDown}, effects ${effects}, distinct ${distinct}, missing ${missing}, duplicated ${effects - distinct}`);
  assert.equal(orders, 150);
  assert.equal(missing, 0, 'no event lost');
  assert.equal(effects, 150, 'no effect applied twice');
  assert.equal(distinct, 150);
});
