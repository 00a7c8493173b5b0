import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';

let database: Database;
before(async () => {
  database = await openDatabase({ url: 'pglite://memory' });
  await sql`create table kinds (id bigserial primary key, name text not null unique, body bytea, at timestamptz, doc jsonb, flag boolean, price numeric, n int)`.execute(database.db);
});
after(() => database.close());

const prepared = async (): Promise<number> =>
  (await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(database.db)).rows[0]?.n ?? -1;

test('a prepared statement returns what PostgreSQL stores, for every kind of value the services write', async () => {
  const at = new Date('2026-12-02T10:11:12.345Z');
  const row = { name: 'ünïcode ✓ \'quoted\'', body: Buffer.from([0, 1, 254, 255]), at, doc: JSON.stringify({ a: [1, 'x'] }), flag: true, price: '12.50', n: 7 };
  for (let round = 0; round < 3; round += 1) {
    await sql`insert into kinds (name, body, at, doc, flag, price, n) values (${`${row.name}${round}`}, ${row.body}, ${row.at}, ${row.doc}, ${row.flag}, ${row.price}, ${row.n})`.execute(database.db);
  }
  await sql`insert into kinds (name) values (${'nulls'})`.execute(database.db);
  const { rows } = await sql<{ id: bigint; name: string; body: Uint8Array | null; at: Date | null; doc: unknown; flag: boolean | null; price: string | null; n: number | null }>`
    select * from kinds where name = ${`${row.name}2`} or name = ${'nulls'} order by id`.execute(database.db);
  assert.equal(rows.length, 2);
  const [full, empty] = rows;
  assert.equal(typeof full?.id, 'bigint', 'int8 keeps the platform\'s bigint parser');
  assert.equal(full?.name, `${row.name}2`);
  assert.deepEqual(Buffer.from(full?.body ?? []), row.body);
  assert.equal(full?.at?.toISOString(), at.toISOString());
  assert.deepEqual(full?.doc, { a: [1, 'x'] });
  assert.equal(full?.flag, true);
  assert.equal(Number(full?.price), 12.5);
  assert.equal(full?.n, 7);
  assert.deepEqual([empty?.body, empty?.at, empty?.doc, empty?.flag, empty?.n], [null, null, null, null, null]);
  const updated = await sql`update kinds set n = n + ${1} where name like ${`${row.name}%`}`.execute(database.db);
  assert.equal(updated.numAffectedRows, 3n);
});

test('each statement text is prepared once and reused', async () => {
  const before = await prepared();
  for (let i = 0; i < 20; i += 1) await sql`select n from kinds where name = ${'nulls'}`.execute(database.db);
  // One more: the text above (the counting query was prepared by its first run).
  assert.equal(await prepared(), before + 1);
});

test('vacuum and analyze (the retention pass, every minute) keep the prepared statements, and their answers stay right', async () => {
  await sql`select n from kinds where name = ${'nulls'}`.execute(database.db);
  const before = await prepared();
  await sql`vacuum (analyze) kinds`.execute(database.db);
  await sql`analyze kinds`.execute(database.db);
  const { rows } = await sql<{ n: number | null }>`select n from kinds where name = ${'nulls'}`.execute(database.db);
  assert.deepEqual(rows, [{ n: null }]);
  assert.equal(await prepared(), before, 'nothing dropped, nothing prepared again');
});

test('an error keeps PostgreSQL\'s code and leaves the connection usable, in and out of a transaction', async () => {
  await assert.rejects(sql`insert into kinds (name) values (${'nulls'})`.execute(database.db), (error: { code?: string }) => error.code === '23505');
  await assert.rejects(database.db.transaction().execute(async (trx) => {
    await sql`insert into kinds (name) values (${'in-trx'})`.execute(trx);
    await sql`insert into kinds (name) values (${'nulls'})`.execute(trx);
  }), (error: { code?: string }) => error.code === '23505');
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from kinds where name = ${'in-trx'}`.execute(database.db);
  assert.equal(rows[0]?.n, 0, 'the failed transaction rolled back');
});

test('after DDL the prepared statements are dropped: a changed table never meets a plan made for the old one', async () => {
  const read = () => sql<Record<string, unknown>>`select * from kinds where name = ${'nulls'}`.execute(database.db);
  assert.equal('extra' in ((await read()).rows[0] ?? {}), false);
  await sql`alter table kinds add column extra text default 'new'`.execute(database.db);
  assert.equal((await read()).rows[0]?.extra, 'new');
});
