import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { OrderCancelled, OrderUpdated } from '../../src/contracts/events/order.ts';
import { kafkaBrokers, eventually, postgresUrl, uniqueName } from '../support/env.ts';
import { openPipeline, type Pipeline } from '../support/pipeline.ts';
import { orderUpdated } from '../support/sample-events.ts';

let pipe: Pipeline;
const group = uniqueName('slow');

before(async () => {
  pipe = await openPipeline('kafka+postgres');
  await sql`create table ${sql.id(pipe.schema)}.effects (event_id text not null, pid int not null)`.execute(pipe.database.db);
});
after(() => pipe.close());

async function startService(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'fixtures', 'slow-order-service.ts')], {
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), SCHEMA: pipe.schema, GROUP: group, PAYSAGA_NAMESPACE: pipe.namespace ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await eventually('the service to be ready', () => new Promise<boolean>((resolve) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().includes('ready')));
  }), 30_000);
  return child;
}

test('SIGTERM finishes in-flight work, commits and flushes; nothing is lost or applied twice across the restart', async () => {
  const s = sql.id(pipe.schema);
  const count = async (query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(pipe.database.db)).rows[0]?.n);
  const events = Array.from({ length: 40 }, (_, index) => orderUpdated(uniqueName('order'), index));
  const ours = new Set(events.map((event) => event.key));
  // The shared topic also holds other tests' events: count only this test's.
  const tapped = await pipe.tap(OrderCancelled.topic);
  const outgoing = { get records() { return tapped.filter((record) => ours.has(record.key)); } };
  const mine = sql`event_id = any(${events.map((event) => event.eventId)}::text[])`;
  for (const event of events) await pipe.send(OrderUpdated.topic, event);

  const first = await startService();
  await eventually('some work done', async () => (await count(sql`select count(*) as n from ${s}.effects where ${mine}`)) >= 8, 60_000);
  first.kill('SIGTERM');
  const [exitCode] = await once(first, 'exit') as [number | null];
  assert.equal(exitCode, 0, 'clean exit after SIGTERM');
  const doneBeforeRestart = await count(sql`select count(*) as n from ${s}.effects where ${mine}`);
  const backlogAtExit = await count(sql`select count(*) as n from ${s}.outbox where published_at is null`);
  assert.equal(backlogAtExit, 0, 'the outbox was flushed before exit');
  assert.ok(doneBeforeRestart < 40, 'the service was stopped mid-stream');

  const second = await startService();
  await eventually('all 40 effects', async () => (await count(sql`select count(*) as n from ${s}.effects where ${mine}`)) >= 40, 60_000);
  await eventually('all 40 outgoing events', () => new Set(outgoing.records.map((record) => record.key)).size >= 40, 30_000);
  second.kill('SIGTERM');
  assert.equal((await once(second, 'exit') as [number | null])[0], 0);

  const effects = await count(sql`select count(*) as n from ${s}.effects where ${mine}`);
  const distinct = await count(sql`select count(distinct event_id) as n from ${s}.effects where ${mine}`);
  console.log(`# graceful shutdown: ${doneBeforeRestart} handled before SIGTERM, ${effects} effects in all, ${distinct} distinct, ${outgoing.records.length} outgoing events`);
  assert.equal(effects, 40);
  assert.equal(distinct, 40);
  assert.equal(new Set(outgoing.records.map((record) => record.key)).size, 40);
});
