import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { activityPerSaga, tableActivity } from '../../src/cli/bench/system-counters.ts';
import { eventually, postgresUrl, uniqueName } from '../support/env.ts';

test('the bench reads where PostgreSQL work went, per schema: rows written and scans, per saga, between two readings', async () => {
  const schema = uniqueName('activity');
  const before = await tableActivity(postgresUrl());
  const writer = new pg.Client({ connectionString: postgresUrl() });
  await writer.connect();
  try {
    await writer.query(`create schema ${schema}`);
    await writer.query(`create table ${schema}.things (id integer primary key, note text)`);
    await writer.query(`insert into ${schema}.things select n, 'x' from generate_series(1, 30) as n`);
    await writer.query(`update ${schema}.things set note = 'y' where id <= 10`);
    await writer.query(`delete from ${schema}.things where id > 25`);
    for (let id = 1; id <= 4; id += 1) await writer.query(`select note from ${schema}.things where id = $1`, [id]);
  } finally {
    // A backend's counts reach pg_stat_user_tables when it flushes them; ending it flushes them.
    await writer.end();
  }
  try {
    const work = await eventually('the writer\'s counts to be flushed', async () => {
      const perSaga = activityPerSaga(before, await tableActivity(postgresUrl()), 10)[schema];
      return perSaga && perSaga.rowsWritten >= 4.5 ? perSaga : undefined;
    }, 30_000);
    // 30 inserted + 10 updated + 5 deleted = 45 rows over 10 sagas; at least the 4 look-ups (and the update's and delete's scans).
    assert.equal(work.rowsWritten, 4.5);
    assert.ok(work.scans >= 0.4, JSON.stringify(work));
    assert.deepEqual(activityPerSaga(new Map(), new Map([['quiet', { rowsWritten: 0, scans: 0 }]]), 10), {}, 'a schema nothing touched is left out');
    assert.deepEqual(activityPerSaga(new Map(), new Map([['s', { rowsWritten: 5, scans: 1 }]]), 0), {}, 'no sagas, no figures');
  } finally {
    const cleanup = new pg.Client({ connectionString: postgresUrl() });
    await cleanup.connect();
    await cleanup.query(`drop schema ${schema} cascade`);
    await cleanup.end();
  }
});
