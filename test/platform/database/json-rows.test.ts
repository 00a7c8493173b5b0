import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { childRowsAsJson, rowsFromJson } from '../../../src/platform/database/json-rows.ts';
import { freshSchema } from '../../support/database.ts';
import { postgresUrl } from '../../support/env.ts';

interface Child { parent_id: string; rank: number; name: string | null; note: string; at: Date; maybe_at: Date | null }

// A parent's children read with the parent (json_agg) must equal a read of their own: every value, in the order asked.
for (const url of [postgresUrl(), 'pglite://memory']) {
  test(`child rows read as JSON with their parent equal a read of their own (${url.split(':')[0]})`, async () => {
    const { database, schema, drop } = await freshSchema(url);
    try {
      const db = database.db;
      await sql`create table ${sql.table(`${schema}.parents`)} (id text primary key)`.execute(db);
      await sql`create table ${sql.table(`${schema}.children`)} (parent_id text not null, rank integer not null, name text, note text not null, at timestamptz not null, maybe_at timestamptz)`.execute(db);
      await sql`insert into ${sql.table(`${schema}.parents`)} values ('p1'), ('p2')`.execute(db);
      const children = [
        [2, 'b', 'quote " backslash \\ newline \n tab \t', '2026-12-07 10:00:00.999999+00', null],
        [1, null, 'unicode ☕ é 𝄞', '2026-12-07 10:00:00.000500+00', '2026-12-08 00:00:00+02'],
        [2, 'a', '', '2026-12-07 09:00:00+00', '1999-12-31 23:59:59.5+00'],
      ] as const;
      for (const [rank, name, note, at, maybeAt] of children) {
        await sql`insert into ${sql.table(`${schema}.children`)} values ('p1', ${rank}, ${name}, ${note}, ${at}::timestamptz, ${maybeAt}::timestamptz)`.execute(db);
      }
      const read = async (parent: string) => (await sql<{ id: string; children: unknown }>`select p.id, ${childRowsAsJson(`${schema}.children`, 'parent_id', 'p.id', ['rank', 'name'])} as children
        from ${sql.table(`${schema}.parents`)} as p where p.id = ${parent}`.execute(db)).rows[0];
      const apart = async (parent: string) => (await sql<Child>`select * from ${sql.table(`${schema}.children`)} where parent_id = ${parent} order by rank, name`.execute(db)).rows;

      const p1 = await read('p1');
      assert.deepEqual(rowsFromJson<Child>(p1?.children, ['at', 'maybe_at']), await apart('p1'));
      assert.deepEqual(rowsFromJson<Child>(p1?.children, ['at', 'maybe_at']).map((child) => child.name), [null, 'a', 'b']);
      assert.deepEqual(rowsFromJson<Child>((await read('p2'))?.children, ['at']), [], 'a parent without children has an empty list');
      assert.throws(() => rowsFromJson<Child>('not rows', ['at']), TypeError);
    } finally {
      await drop();
    }
  });
}
