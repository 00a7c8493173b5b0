import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { migrateSchema } from '../../../src/platform/database/migrations.ts';
import { platformMigrations } from '../../../src/platform/database/platform-tables.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { checkHealth, type HealthInputs } from '../../../src/platform/observability/health.ts';
import { PlatformMetrics } from '../../../src/platform/observability/platform-metrics.ts';
import { fallbackLogger } from '../../../src/platform/observability/logger.ts';

describe('health and readiness', () => {
  let database: Database;
  const schema = 'health_check';
  before(async () => {
    database = await openDatabase({ url: 'pglite://memory' });
    await migrateSchema(database.db, schema, platformMigrations);
  });
  after(async () => { await database.close(); });

  function inputs(overrides: { running?: boolean; started?: boolean; breaker?: string; ping?: boolean } = {}): HealthInputs {
    const metrics = new PlatformMetrics({ processMetrics: false });
    const transport = new InProcessTransport();
    metrics.watchConsumer({ group: 'payment', transport, topics: () => [], running: () => overrides.running ?? true });
    metrics.watchSchema(database.db, schema);
    metrics.gateway.watchBreaker('gateway', () => overrides.breaker ?? 'closed');
    return {
      services: ['payment'], started: () => overrides.started ?? true, metrics, outboxReadyMaxAgeMs: 60_000, logger: fallbackLogger(),
      transport: { kind: 'kafka', ping: async () => overrides.ping ?? true },
      database: async () => { await sql`select 1`.execute(database.db); return true; },
    };
  }

  test('ready when every dependency is: the seeds\' kafka.status among the components', async () => {
    const report = await checkHealth(inputs());
    assert.equal(report.ready, true);
    assert.equal(report.status, 'healthy');
    assert.deepEqual(report.components.kafka, { status: 'healthy', kind: 'kafka' });
    assert.deepEqual(report.components.consumers, { status: 'healthy', groups: { payment: 'running' } });
  });

  test('not ready while starting, with a consumer stopped, or with the broker away', async () => {
    assert.equal((await checkHealth(inputs({ started: false }))).ready, false);
    const stopped = await checkHealth(inputs({ running: false }));
    assert.equal(stopped.ready, false);
    assert.equal(stopped.status, 'unhealthy');
    assert.deepEqual(stopped.components.consumers, { status: 'unhealthy', groups: { payment: 'stopped' } });
    const away = await checkHealth(inputs({ ping: false }));
    assert.equal(away.ready, false);
    assert.equal(away.components.kafka?.status, 'unhealthy');
  });

  test('an open breaker degrades but keeps the process ready', async () => {
    const report = await checkHealth(inputs({ breaker: 'open' }));
    assert.equal(report.ready, true);
    assert.equal(report.status, 'degraded');
    assert.deepEqual(report.components.gateway, { status: 'degraded', breaker: 'open' });
  });

  test('an outbox row unpublished past OUTBOX_READY_MAX_AGE_MS makes it not ready', async () => {
    await sql`insert into ${sql.id(schema)}.outbox (topic, key, value, headers, created_at) values ('t', 'k', ${Buffer.from('{}')}, '{}', ${new Date(Date.now() - 5 * 60_000)})`.execute(database.db);
    const report = await checkHealth(inputs());
    assert.equal(report.ready, false);
    assert.equal(report.components.outbox?.status, 'unhealthy');
    assert.ok(Number((report.components.outbox?.oldestAgeSeconds as Record<string, number>)[schema]) >= 299);
  });
});
