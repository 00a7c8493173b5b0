import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TaskCancelledError } from 'cockatiel';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import { platformMigrations } from '../../../src/platform/database/platform-tables.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import type { OutgoingRecord } from '../../../src/platform/messaging/transport.ts';
import { enqueueRecords } from '../../../src/platform/outbox/outbox.ts';
import { OutboxRelay } from '../../../src/platform/outbox/outbox-relay.ts';

const schema = 'outbox_publish_deadline';
let database: Database;

before(async () => {
  database = await openDatabase({ url: 'pglite://memory' });
  await migrateSchema(database.db, schema, platformMigrations);
});
after(async () => { await database.close(); });

/**
 * Found by the long chaos run: after a broker restart a Kafka producer's send never settled; the relay's batch
 * transaction stayed open on it, holding the schema's relay lock, and the service published nothing for good.
 */
test('a publish that never ends is given up at the relay\'s deadline: nothing marked, the lock released, the batch published by the next pass', { timeout: 60_000 }, async () => {
  const working = new InProcessTransport();
  await working.ensureTopics([{ name: 'deadline.test', partitions: 1, replicationFactor: 1 }]);
  let hang = true;
  const attempts: number[] = [];
  const transport = Object.assign(Object.create(working) as InProcessTransport, {
    publish: (records: readonly OutgoingRecord[]): Promise<void> => {
      attempts.push(records.length);
      return hang ? new Promise<void>(() => {}) : working.publish(records);
    },
  });
  await database.db.transaction().execute((trx) => enqueueRecords(trx, schema, [
    { topic: 'deadline.test', key: 'k', value: Buffer.from('one'), headers: {} },
    { topic: 'deadline.test', key: 'k', value: Buffer.from('two'), headers: {} },
  ]));
  const relay = new OutboxRelay({ db: database.db, schema, transport, publishTimeoutMs: 300 });
  await assert.rejects(relay.publishBatch(), TaskCancelledError);
  assert.equal(await relay.backlog(), 2, 'nothing marked published');
  const open = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory'`.execute(database.db);
  assert.equal(open.rows[0]?.n, 0, 'the relay lock is released with the rolled-back transaction');
  hang = false;
  assert.equal(await relay.publishBatch(), 2);
  assert.equal(await relay.backlog(), 0);
  assert.deepEqual(attempts, [2, 2]);
  await working.close();
});
