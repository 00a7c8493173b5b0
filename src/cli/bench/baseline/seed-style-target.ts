import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { ensureDatabase, type StartedTarget } from '../bench-targets.ts';
import { freePort } from '../../ports.ts';
import { startChild, waitUntilReady } from '../child-program.ts';

/** Starts the seed-style baseline (seed-style-server.ts) in a child process, in a database of its own; its topics are deleted at stop. */
export async function startSeedStyle(options: { databaseUrl: string; kafkaBrokers: string[] }): Promise<StartedTarget> {
  if (options.kafkaBrokers.length === 0) throw new Error('the seed-style baseline needs Kafka (KAFKA_BROKERS or --kafka-brokers)');
  const databaseUrl = await ensureDatabase(options.databaseUrl, 'paysaga_bench_compare');
  const port = await freePort();
  const prefix = `seedbench-${randomBytes(3).toString('hex')}-`;
  const child = startChild('seed-style baseline', process.execPath, [join(import.meta.dirname, 'seed-style-server.ts'), '--port', String(port), '--database-url', databaseUrl, '--kafka-brokers', options.kafkaBrokers.join(','), '--prefix', prefix], {});
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(`${url}/health/ready`, child, 120_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    system: 'seed-style', short: 'kafkajs', shape: 'one process: kafkajs, write-then-publish, no outbox', url, authSecret: 'seed-style-baseline-checks-no-token-0123', pids: () => [child.pid],
    databaseUrl, topics: (topic) => topic.startsWith(prefix), metricsUrls: [],
    async stop() {
      await child.stop();
      const admin = new Admin({ bootstrapBrokers: options.kafkaBrokers, clientId: 'paysaga-bench-cleanup' });
      try {
        const mine = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
        if (mine.length > 0) await admin.deleteTopics({ topics: mine });
      } finally {
        await admin.close();
      }
    },
  };
}
