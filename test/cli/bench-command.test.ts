import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BenchResult } from '../../src/cli/bench/bench-run.ts';
import { kafkaBrokers, postgresUrl } from '../support/env.ts';

const root = join(import.meta.dirname, '..', '..');

/** `paysaga bench`, tiny, as a person runs it; not timed: it proves the bench works and its JSON holds sane figures. */
test('paysaga bench --compare measures embedded paysaga, the seed-style baseline and the Restate peer in one run, beside the ceilings', { timeout: 900_000 }, async () => {
  const directory = await mkdtemp(join(tmpdir(), 'paysaga-bench-test-'));
  const out = join(directory, 'result.json');
  try {
    const child = spawn(process.execPath, [join(root, 'src', 'cli', 'main.ts'), 'bench', '--sagas', '20', '--warmup', '2', '--concurrency', '5', '--declines', '0.1',
      '--pg-clients', '2', '--pg-seconds', '1', '--kafka-records', '2000', '--compare', '--quiet', '--out', out], {
      cwd: root, env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl() }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, output);
    for (const row of ['paysaga (embedded)', 'seed-style (kafkajs)', 'restate (restate-server)', 'PostgreSQL:', 'Kafka: produce']) assert.ok(output.includes(row), `the report shows ${row}:\n${output}`);

    const result = JSON.parse(await readFile(out, 'utf8')) as BenchResult;
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.systems.map((system) => system.system), ['paysaga', 'seed-style', 'restate']);
    for (const system of result.systems) {
      const { summary } = system;
      assert.equal(summary.sagas, 20, system.system);
      assert.deepEqual(summary.errors, {}, `${system.system}: ${JSON.stringify(summary.errorSamples)}`);
      assert.equal(summary.completed, 20);
      assert.deepEqual(summary.outcomes, { confirmed: 18, declined: 2 });
      assert.equal(system.sagasStarted, 22);
      assert.ok(summary.completedPerSecond > 0);
      assert.equal(summary.e2eMs.count, 20);
      assert.ok((summary.e2eMs.p50 ?? 0) > 0 && (summary.e2eMs.p50 ?? 0) <= (summary.e2eMs.p99 ?? 0) && (summary.e2eMs.p99 ?? 0) <= (summary.e2eMs.max ?? 0), JSON.stringify(summary.e2eMs));
      assert.equal(summary.httpMs['POST /checkout']?.count, 20);
      assert.ok(system.processes.length > 0 && system.processes.every((process) => process.peakRssMb > 10 && process.cpuSeconds >= 0), JSON.stringify(system.processes));
      assert.ok((system.cpuMsPerSaga ?? 0) > 0);
    }
    const [paysaga, seedStyle, restate] = result.systems;
    // Embedded paysaga keeps its data in PGlite and its topics in process: nothing of it is counted on the machine's servers.
    assert.equal(paysaga?.pgTransactionsPerSaga, null);
    assert.equal(paysaga?.kafkaRecordsPerSaga, null);
    assert.ok((paysaga?.peakConsumerLag ?? -1) >= 0, 'the lag is read from /metrics');
    // The baseline publishes at least one record per step it takes over Kafka, and commits at least one transaction per step.
    assert.ok((seedStyle?.kafkaRecordsPerSaga ?? 0) >= 4, JSON.stringify(seedStyle));
    assert.ok((seedStyle?.pgTransactionsPerSaga ?? 0) >= 5, JSON.stringify(seedStyle));
    // Where its database work went: some schema of the baseline's database had rows written for every saga.
    assert.ok(Object.values(seedStyle?.pgWorkPerSagaBySchema ?? {}).some((work) => work.rowsWritten >= 1), JSON.stringify(seedStyle?.pgWorkPerSagaBySchema));
    assert.equal(paysaga?.pgWorkPerSagaBySchema, null);
    assert.equal(restate?.kafkaRecordsPerSaga, null);
    assert.ok((restate?.pgTransactionsPerSaga ?? 0) >= 5, JSON.stringify(restate));
    assert.equal(restate?.processes.length, 2, 'restate-server and the peer endpoint are measured');
    assert.ok((result.ceilings.postgres?.commitsPerSecond ?? 0) > 0);
    assert.ok((result.ceilings.kafka?.producePerSecond ?? 0) > 0 && (result.ceilings.kafka?.consumePerSecond ?? 0) > 0);
    assert.ok(result.ratios.some((ratio) => ratio.system === 'seed-style' && ratio.what === 'Kafka records/s' && ratio.ofCeiling > 0));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
