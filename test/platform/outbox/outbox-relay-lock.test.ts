import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import { platformMigrations } from '../../../src/platform/database/platform-tables.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import type { OutgoingRecord } from '../../../src/platform/messaging/transport.ts';
import { enqueueRecords } from '../../../src/platform/outbox/outbox.ts';
import { OutboxRelay } from '../../../src/platform/outbox/outbox-relay.ts';
import { eventually, postgresUrl, uniqueName } from '../../support/env.ts';

const schema = uniqueName('outbox_relay_lock');
let database: Database;

before(async () => {
  database = await openDatabase({ url: postgresUrl(), maxConnections: 4 });
  await migrateSchema(database.db, schema, platformMigrations);
});
after(async () => { await database.close(); });

/**
 * Per-key order across instances rests on one relay per schema publishing at a time: while one relay's batch is
 * out (its transaction open), another relay of the same schema marks nothing and publishes nothing, and takes
 * the rows after it, in order.
 */
for (const keepPublished of [true, false]) test(`two relays of one schema never publish at once: the second gets nothing while the first holds the lock, then the rest in order (published rows ${keepPublished ? 'marked' : 'deleted'})`, { timeout: 60_000 }, async () => {
  await sql`delete from ${sql.table(`${schema}.outbox`)}`.execute(database.db);
  const broker = new InProcessTransport();
  await broker.ensureTopics([{ name: 'lock.test', partitions: 1, replicationFactor: 1 }]);
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const sent: string[] = [];
  let publishing = false;
  const held = Object.assign(Object.create(broker) as InProcessTransport, {
    publish: async (records: readonly OutgoingRecord[]): Promise<void> => {
      publishing = true;
      await gate;
      sent.push(...records.map((record) => record.value.toString()));
    },
  });
  const plain = Object.assign(Object.create(broker) as InProcessTransport, {
    publish: async (records: readonly OutgoingRecord[]): Promise<void> => { sent.push(...records.map((record) => record.value.toString())); },
  });
  const write = (values: string[]) => database.db.transaction().execute((trx) =>
    enqueueRecords(trx, schema, values.map((value) => ({ topic: 'lock.test', key: 'k', value: Buffer.from(value), headers: {} }))));
  await write(['1', '2']);
  const first = new OutboxRelay({ db: database.db, schema, transport: held, batchSize: 2, keepPublished });
  const second = new OutboxRelay({ db: database.db, schema, transport: plain, keepPublished });
  const firstBatch = first.publishBatch();
  await eventually('the first relay is publishing its batch', () => publishing);
  await write(['3']);
  // The first relay's rows are marked but uncommitted: the second must not take row 3 ahead of them.
  assert.equal(await second.publishBatch(), 0, 'the second relay publishes nothing while the first holds the lock');
  release();
  assert.equal(await firstBatch, 2);
  assert.equal(await second.publishBatch(), 1);
  assert.deepEqual(sent, ['1', '2', '3']);
  assert.equal(await second.backlog(), 0);
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema}.outbox`)} where published_at is not null`.execute(database.db);
  assert.equal(rows[0]?.n, keepPublished ? 3 : 0, keepPublished ? 'every row stays, marked' : 'a published row is gone');
  await broker.close();
});
