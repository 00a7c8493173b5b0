import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import { platformDb, platformMigrations } from '../../../src/platform/database/platform-tables.ts';
import { openDatabase } from '../../../src/platform/database/database.ts';
import { postgresUrl, uniqueName } from '../../support/env.ts';
import { freshSchema } from '../../support/database.ts';

for (const [name, url] of [['PostgreSQL', postgresUrl()], ['PGlite', 'pglite://memory']] as const) {
  describe(`database layer on ${name}`, () => {
    test('applies the platform migrations once, and again is a no-op', async () => {
      const { database, schema, drop } = await freshSchema(url);
      try {
        await migrateSchema(database.db, schema, platformMigrations);
        const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(database.db);
        assert.deepEqual(tables.rows.map((row) => row.table_name), ['dead_letters', 'idempotency_keys', 'inbox', 'outbox', 'schema_migrations']);
        const applied = await sql<{ name: string }>`select name from ${sql.id(schema)}.schema_migrations order by name`.execute(database.db);
        assert.deepEqual(applied.rows.map((row) => row.name), Object.keys(platformMigrations).sort());
      } finally {
        await drop();
      }
    });

    test('concurrent starts apply each migration once; a failing migration leaves the schema as it was', async () => {
      const { database, schema, drop } = await freshSchema(url);
      try {
        let runs = 0;
        const counted = { '0001_counter': async (db: Kysely<unknown>, target: string) => {
          runs += 1;
          await sql`create table ${sql.id(target)}.counted (id int primary key)`.execute(db);
        } };
        await Promise.all(Array.from({ length: 5 }, () => migrateSchema(database.db, schema, counted)));
        assert.equal(runs, 1, 'the migration ran once across five concurrent starts');
        await assert.rejects(migrateSchema(database.db, schema, {
          ...counted,
          '0002_good': async (db, target) => { await sql`create table ${sql.id(target)}.half (id int)`.execute(db); },
          '0003_bad': async (db) => { await sql`select * from no_such_table`.execute(db); },
        }), /migration 0003_bad of schema .* failed/);
        const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema} and table_name = 'half'`.execute(database.db);
        assert.equal(tables.rows.length, 0, 'the good migration before the bad one was rolled back with it');
      } finally {
        await drop();
      }
    });

    test('rolls a failed transaction back completely, and round-trips bigint, bytea and timestamps', async () => {
      const { database, schema, drop } = await freshSchema(url);
      try {
        await assert.rejects(database.db.transaction().execute(async (trx) => {
          await platformDb(trx, schema).insertInto('outbox').values({ topic: 't', key: 'k', value: Buffer.from('v'), headers: '{}', event_id: null }).execute();
          throw new Error('handler failed');
        }), /handler failed/);
        assert.equal((await platformDb(database.db, schema).selectFrom('outbox').selectAll().execute()).length, 0);
        await platformDb(database.db, schema).insertInto('outbox').values({ topic: 't', key: 'k', value: Buffer.from([0, 255, 1]), headers: '{"a":"b"}', event_id: null }).execute();
        const [row] = await platformDb(database.db, schema).selectFrom('outbox').selectAll().execute();
        assert.equal(typeof row?.id, 'bigint');
        assert.deepEqual([...Buffer.from(row?.value ?? [])], [0, 255, 1]);
        assert.ok(row?.created_at instanceof Date);
      } finally {
        await drop();
      }
    });

    test('serialises concurrent transactions on one row with FOR UPDATE', async () => {
      const { database, schema, drop } = await freshSchema(url);
      try {
        await sql`create table ${sql.id(schema)}.counter (id int primary key, n int not null)`.execute(database.db);
        await sql`insert into ${sql.id(schema)}.counter values (1, 0)`.execute(database.db);
        await Promise.all(Array.from({ length: 20 }, () => database.db.transaction().execute(async (trx) => {
          const current = await sql<{ n: number }>`select n from ${sql.id(schema)}.counter where id = 1 for update`.execute(trx);
          await sql`update ${sql.id(schema)}.counter set n = ${(current.rows[0]?.n ?? 0) + 1} where id = 1`.execute(trx);
        })));
        const final = await sql<{ n: number }>`select n from ${sql.id(schema)}.counter where id = 1`.execute(database.db);
        assert.equal(final.rows[0]?.n, 20);
      } finally {
        await drop();
      }
    });
  });
}

test('migrating one schema is unaffected by other schemas being dropped at the same time', async () => {
  // Regression: Kysely's Migrator introspected every schema and failed with
  // "schema … does not exist" when another test dropped its own meanwhile.
  const mine = await openDatabase({ url: postgresUrl(), maxConnections: 8 });
  const schemas: string[] = [];
  try {
    for (let round = 0; round < 3; round += 1) {
      const others = await Promise.all(Array.from({ length: 8 }, () => freshSchema(postgresUrl())));
      const batch = Array.from({ length: 8 }, () => uniqueName('m'));
      schemas.push(...batch);
      await Promise.all([
        ...others.map((other) => other.drop()),
        ...batch.map((schema) => migrateSchema(mine.db, schema, platformMigrations)),
      ]);
    }
  } finally {
    for (const schema of schemas) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(mine.db);
    await mine.close();
  }
});

test('a schema migrated by Kysely\'s Migrator (earlier versions) keeps its history: nothing is applied twice', async () => {
  const database = await openDatabase({ url: postgresUrl(), maxConnections: 2 });
  const schema = uniqueName('k');
  try {
    const s = sql.id(schema);
    await sql`create schema ${s}`.execute(database.db);
    await sql`create table ${s}.kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null)`.execute(database.db);
    // What an earlier version left: its first migration applied, recorded in Kysely's history table.
    const [first] = Object.keys(platformMigrations).sort();
    const migrateFirst = first === undefined ? undefined : platformMigrations[first];
    assert.ok(first !== undefined && migrateFirst !== undefined);
    await migrateFirst(database.db, schema);
    await sql`insert into ${s}.kysely_migration values (${first}, ${new Date().toISOString()})`.execute(database.db);
    // Without the takeover, the first migration would run again and fail on the existing outbox table.
    await migrateSchema(database.db, schema, platformMigrations);
    const applied = await sql<{ name: string }>`select name from ${s}.schema_migrations order by name`.execute(database.db);
    assert.deepEqual(applied.rows.map((row) => row.name), Object.keys(platformMigrations).sort());
  } finally {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    await database.close();
  }
});
