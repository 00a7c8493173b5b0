import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { OrderUpdated } from '../../../src/contracts/events/order.ts';
import { retryTopicOf } from '../../../src/contracts/topics.ts';
import { MessageConsumer } from '../../../src/platform/messaging/message-consumer.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { openPipeline, STACKS, type Pipeline } from '../../support/pipeline.ts';
import { orderUpdated } from '../../support/sample-events.ts';

/** SHUTDOWN_TIMEOUT_MS's default: the whole stop must fit in it. */
const SHUTDOWN_BOUND_MS = 10_000;
/** One trip through the retry topic, 15 s later — longer than the bound — then the dead-letter topic. */
const slowRetries = { inPlaceAttempts: 1, inPlaceDelayMs: 10, delayedAttempts: 1, initialDelayMs: 15_000, maxDelayMs: 15_000 };

for (const stack of STACKS) {
  describe(`shutdown on ${stack}`, () => {
    let pipe: Pipeline;
    before(async () => {
      pipe = await openPipeline(stack);
      await sql`create table ${sql.id(pipe.schema)}.effects (event_id text not null)`.execute(pipe.database.db);
    });
    after(() => pipe.close());

    test('a stop with poison messages waiting out their retry delay ends well inside the bound; after a restart nothing is lost or doubled', async () => {
      const s = sql.id(pipe.schema);
      const db = pipe.database.db;
      const groupId = uniqueName('svc');
      const poison = Array.from({ length: 3 }, () => orderUpdated(uniqueName('poison')));
      const good = Array.from({ length: 20 }, (_, index) => orderUpdated(uniqueName('good'), index));
      const poisonIds = new Set(poison.map((event) => event.eventId));
      const consumer = () => new MessageConsumer({ groupId, schema: pipe.schema, db, transport: pipe.transport, retry: slowRetries, onOutboxWrite: () => pipe.relay.wake() })
        .on(OrderUpdated, async (envelope, { trx }) => {
          if (poisonIds.has(envelope.eventId)) throw new Error('poison: this handler always fails');
          await sql`insert into ${s}.effects values (${envelope.eventId})`.execute(trx);
        });
      const count = async (query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(db)).rows[0]?.n);
      const ids = (events: typeof good) => sql`event_id = any(${events.map((event) => event.eventId)}::text[])`;
      const retried = await pipe.tap(retryTopicOf(OrderUpdated.topic));

      const first = consumer();
      await first.start();
      for (const event of [...poison, ...good.slice(0, 10)]) await pipe.send(OrderUpdated.topic, event);
      await eventually('every poison record in the retry topic', () => poison.every((event) => retried.some((record) => record.key === event.key)), 30_000);
      await eventually('the first good records handled', async () => (await count(sql`select count(*) as n from ${s}.effects where ${ids(good.slice(0, 10))}`)) === 10, 30_000);
      // The consumer fetches the retry records and waits on their paysaga-not-before; more good records arrive meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const event of good.slice(10)) await pipe.send(OrderUpdated.topic, event);

      const stopStarted = performance.now();
      await first.stop();
      const stopMs = performance.now() - stopStarted;
      console.log(`# stop with ${poison.length} poison records pending in retry: ${Math.round(stopMs)} ms (bound ${SHUTDOWN_BOUND_MS} ms)`);
      assert.ok(stopMs < SHUTDOWN_BOUND_MS, `the stop took ${Math.round(stopMs)} ms, beyond the ${SHUTDOWN_BOUND_MS} ms bound`);
      assert.equal(await count(sql`select count(*) as n from ${s}.dead_letters where ${ids(poison)}`), 0, 'no poison record was dead-lettered before its retry was due');

      const second = consumer();
      await second.start();
      try {
        await eventually('every good effect', async () => (await count(sql`select count(*) as n from ${s}.effects where ${ids(good)}`)) >= good.length, 60_000);
        await eventually('every poison record dead-lettered', async () => (await count(sql`select count(distinct event_id) as n from ${s}.dead_letters where ${ids(poison)}`)) === poison.length, 60_000);
        // Anything redelivered twice would show up by now.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      } finally {
        await second.stop(2_000);
      }
      assert.equal(await count(sql`select count(*) as n from ${s}.effects where ${ids(good)}`), good.length, 'each good record took effect once');
      assert.equal(await count(sql`select count(distinct event_id) as n from ${s}.effects where ${ids(good)}`), good.length);
      assert.equal(await count(sql`select count(*) as n from ${s}.dead_letters where ${ids(poison)}`), poison.length, 'each poison record is one dead letter');
      assert.equal(await count(sql`select count(*) as n from ${s}.effects where ${ids(poison)}`), 0);
    });
  });
}
