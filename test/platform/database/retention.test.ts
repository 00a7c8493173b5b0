import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { SERVICE_NAMES, SERVICE_SCHEMAS, type RunnableService, type ServiceName } from '../../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../../src/cli/start.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { DEFAULT_RETENTION, platformRetentionRules, RetentionWorker, type RetentionRule } from '../../../src/platform/database/retention.ts';
import { claimInbox } from '../../../src/platform/inbox/inbox.ts';
import { freshSchema, type TestSchema } from '../../support/database.ts';
import { uniqueName } from '../../support/env.ts';

const HOUR = 3_600_000;
const rules: RetentionRule[] = platformRetentionRules({ ...DEFAULT_RETENTION, outboxKeepMs: HOUR, inboxKeepMs: 8 * HOUR, idempotencyKeepMs: 2 * HOUR });
const ago = (ms: number): Date => new Date(Date.now() - ms);

async function count(db: Kysely<unknown>, schema: string, table: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema}.${table}`)}`.execute(db);
  return rows[0]?.n ?? -1;
}

async function outboxRow(db: Kysely<unknown>, schema: string, publishedAt: Date | null): Promise<void> {
  await sql`insert into ${sql.table(`${schema}.outbox`)} (topic, key, value, headers, event_id, published_at)
    values ('t', 'k', ${Buffer.from('{}')}, '{}', ${uniqueName('e')}, ${publishedAt})`.execute(db);
}
async function inboxRow(db: Kysely<unknown>, schema: string, processedAt: Date, eventId = uniqueName('e')): Promise<void> {
  await sql`insert into ${sql.table(`${schema}.inbox`)} (consumer_group, event_id, topic, processed_at) values ('g', ${eventId}, 't', ${processedAt})`.execute(db);
}
async function keyRow(db: Kysely<unknown>, schema: string, claimedAt: Date): Promise<void> {
  await sql`insert into ${sql.table(`${schema}.idempotency_keys`)} (scope, key, fingerprint, route, state, claimed_at)
    values ('s', ${uniqueName('k')}, 'f', 'POST /x', 'completed', ${claimedAt})`.execute(db);
}

for (const url of ['postgres', 'pglite://memory'] as const) {
  describe(`retention on ${url === 'postgres' ? 'PostgreSQL' : 'PGlite'}`, () => {
    let schema: TestSchema;
    before(async () => { schema = await freshSchema(...(url === 'postgres' ? [] : [url])); });
    after(() => schema.drop());

    test('a pass deletes exactly the bookkeeping past its age: never an unpublished outbox row, never a young one', async () => {
      const { db } = schema.database;
      for (let i = 0; i < 3; i += 1) {
        await outboxRow(db, schema.schema, ago(2 * HOUR));
        await inboxRow(db, schema.schema, ago(9 * HOUR));
        await keyRow(db, schema.schema, ago(3 * HOUR));
      }
      await outboxRow(db, schema.schema, null);
      await sql`update ${sql.table(`${schema.schema}.outbox`)} set created_at = ${ago(48 * HOUR)} where published_at is null`.execute(db);
      await outboxRow(db, schema.schema, ago(HOUR / 2));
      await inboxRow(db, schema.schema, ago(7 * HOUR));
      await keyRow(db, schema.schema, ago(HOUR));

      const pass = await new RetentionWorker({ db, schema: schema.schema, rules, policy: { intervalMs: 60_000, pglite: url !== 'postgres' } }).runOnce();

      assert.deepEqual(pass.deleted, { outbox: 3, inbox: 3, idempotency_keys: 3 });
      assert.equal(await count(db, schema.schema, 'outbox'), 2, 'the unpublished row (however old) and the young published one');
      const unpublished = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema.schema}.outbox`)} where published_at is null`.execute(db);
      assert.equal(unpublished.rows[0]?.n, 1);
      assert.equal(await count(db, schema.schema, 'inbox'), 1);
      assert.equal(await count(db, schema.schema, 'idempotency_keys'), 1);
    });

    test('an event redelivered inside the window is still recognised after a pass', async () => {
      const { db } = schema.database;
      const eventId = uniqueName('redelivered');
      assert.equal(await db.transaction().execute((trx) => claimInbox(trx, schema.schema, 'g', eventId, 't')), true);
      await new RetentionWorker({ db, schema: schema.schema, rules, policy: { intervalMs: 60_000, pglite: false } }).runOnce();
      assert.equal(await db.transaction().execute((trx) => claimInbox(trx, schema.schema, 'g', eventId, 't')), false, 'the second delivery is a duplicate');
    });
  });
}

describe('maintaining PGlite', () => {
  test('the pass checkpoints, so the WAL of an in-memory database is recycled instead of growing to max_wal_size', async () => {
    const schema = await freshSchema('pglite://memory');
    try {
      const { db } = schema.database;
      const wal = async (): Promise<number> => Number((await sql<{ size: string }>`select sum(size)::text as size from pg_ls_waldir()`.execute(db)).rows[0]?.size);
      await sql`insert into ${sql.table(`${schema.schema}.outbox`)} (topic, key, value, headers, event_id) select 't', 'k', ${Buffer.alloc(1_000, 7)}, '{}', 'e' || g from generate_series(1, 80000) g`.execute(db);
      const before = await wal();
      assert.ok(before > 64 * 2 ** 20, `the insert wrote WAL beyond max_wal_size (32 MB) without a checkpoint: ${before}`);
      const pass = await new RetentionWorker({ db, schema: schema.schema, rules: [], policy: { intervalMs: 60_000, pglite: true } }).runOnce();
      assert.equal(pass.checkpointed, true);
      assert.ok(await wal() <= 48 * 2 ** 20, `after the pass the WAL is back near min_wal_size: ${await wal()}`);
    } finally {
      await schema.drop();
    }
  });

  /** Rounds of a busy outbox: rows written, published, aged out and pruned; the table's size after each round. */
  async function outboxSizes(vacuum: boolean): Promise<number[]> {
    const schema = await freshSchema('pglite://memory');
    try {
      const { db } = schema.database;
      const table = sql.table(`${schema.schema}.outbox`);
      const worker = new RetentionWorker({ db, schema: schema.schema, rules: [{ table: 'outbox', column: 'published_at', keepMs: 0 }], policy: { intervalMs: 60_000, pglite: vacuum } });
      const sizes: number[] = [];
      for (let round = 0; round < 12; round += 1) {
        await sql`insert into ${table} (topic, key, value, headers, event_id) select 't', 'k', ${Buffer.alloc(300, 1)}, '{}', 'e' || g from generate_series(1, 1500) g`.execute(db);
        await sql`update ${table} set published_at = now() where published_at is null`.execute(db);
        await worker.runOnce(Date.now() + 1_000);
        const { rows } = await sql<{ size: string }>`select pg_total_relation_size(${`${schema.schema}.outbox`}::regclass)::text as size`.execute(db);
        sizes.push(Number(rows[0]?.size));
      }
      return sizes;
    } finally {
      await schema.drop();
    }
  }

  test('with the pass, a table that is written and emptied again and again stops growing; without it, it grows every round', async () => {
    const vacuumed = await outboxSizes(true);
    const unvacuumed = await outboxSizes(false);
    assert.ok(vacuumed.at(-1)! <= vacuumed[2]! * 1.2, `vacuumed sizes stay flat: ${vacuumed.join(', ')}`);
    assert.ok(unvacuumed.at(-1)! >= unvacuumed[2]! * 2.5, `without vacuum PGlite keeps every dead row: ${unvacuumed.join(', ')}`);
  });
});

/**
 * Every table of every schema is either bookkeeping with a retention rule or kept on purpose. A table added without
 * either fails here: nothing grows without someone deciding that it should.
 */
const KEPT: Record<string, string> = {
  schema_migrations: 'the schema\'s history',
  dead_letters: 'an operator replays, resolves or discards each; the audit accounts for every one',
  // Domain rows and their histories: what customers, restaurants and couriers were told and charged.
  orders: 'domain', order_status_history: 'domain', order_parties: 'domain (who may see the order)',
  payments: 'domain', refunds: 'domain',
  products: 'domain', stock: 'domain', reservations: 'domain', reservation_lines: 'domain',
  reservation_refusals: 'the answer to a command, kept as long as the reservation it stands for',
  deliveries: 'domain', delivery_status_history: 'domain',
  delivery_refusals: 'the answer to a command, kept as long as the delivery it stands for',
  cancelled_before_creation: 'a cancellation that outran its delivery: a late create must still be refused',
  notifications: 'domain (what the customer was sent)',
  saga_instances: 'domain (the saga and its state)', saga_step_log: 'the saga\'s timeline, shown to operators',
  saga_early_events: 'events that came before their saga step; each is taken when the step arrives',
  cancellations_awaiting_checkout: 'a cancellation waiting for its checkout to end; taken when it ends',
};

describe('every table has a retention rule or a reason to be kept', () => {
  let started: StartedPlatform;
  const services = new Map<ServiceName, RunnableService>();
  before(async () => {
    started = await startPlatform({ ...loadConfig({ NOTIFICATION_LOG_FILE: '/dev/null', LOG_LEVEL: 'silent' }), httpPort: 0 }, {
      services: SERVICE_NAMES, installSignals: false, afterStart: async ({ services: running }) => { for (const [name, service] of running) services.set(name, service); },
    });
  });
  after(() => started.stop());

  const schemas = (): { schema: string; rules: readonly RetentionRule[] }[] => [
    ...SERVICE_NAMES.map((name) => ({ schema: SERVICE_SCHEMAS[name], rules: services.get(name)!.retention().rules })),
    { schema: 'platform', rules: platformRetentionRules(DEFAULT_RETENTION) },
  ];

  test('a table over every schema', async () => {
    assert.equal(services.size, SERVICE_NAMES.length);
    const unclassified: string[] = [];
    for (const { schema, rules: ruled } of schemas()) {
      const { rows } = await sql<{ table: string }>`select table_name as "table" from information_schema.tables where table_schema = ${schema} and table_type = 'BASE TABLE'`.execute(started.db);
      assert.ok(rows.length > 0, `${schema} has tables`);
      for (const { table } of rows) {
        const rule = ruled.find((candidate) => candidate.table === table);
        if (rule) assert.equal(KEPT[table], undefined, `${schema}.${table} is both pruned and kept`);
        else if (KEPT[table] === undefined) unclassified.push(`${schema}.${table}`);
      }
      for (const rule of ruled) assert.ok(rows.some((row) => row.table === rule.table), `${schema}: a rule names ${rule.table}, which does not exist`);
    }
    assert.deepEqual(unclassified, [], 'give each a retention rule (ServiceRuntime.retain) or a reason in KEPT');
  });

  test('each service\'s pass runs on its own schema', async () => {
    for (const name of SERVICE_NAMES) {
      const pass = await services.get(name)!.retention().runOnce();
      assert.deepEqual(Object.keys(pass.deleted).sort(), services.get(name)!.retention().rules.map((rule) => rule.table).sort(), name);
    }
  });
});
