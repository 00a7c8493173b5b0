import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '../../platform/config.ts';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', '..', '..', 'scripts', 'kafka.sh');

/** A Kafka cluster of the fault suite's own (scripts/kafka.sh on its own ports and data dir): its nodes may be stopped, the shared broker never is. */
export interface KafkaCluster {
  brokers: string[];
  nodes: number;
  stopNode(node: number): Promise<void>;
  startNode(node: number): Promise<void>;
  destroy(): Promise<void>;
}

export async function startKafkaCluster(options: { port: number; nodes: 1 | 3 }): Promise<KafkaCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'paysaga-chaos-kafka-'));
  // A busy machine starts a JVM slowly: kafka.sh's 90 s default made a restarted node count as failed (and left it down).
  const env = childEnvironment({ KAFKA_PORT: String(options.port), KAFKA_DATA_DIR: dataDir, KAFKA_LOG_LEVEL: 'WARN', KAFKA_START_TIMEOUT: '600' });
  const script = async (...args: string[]): Promise<void> => {
    await run('bash', [SCRIPT, ...args], { env, timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
  };
  await script('start', '--brokers', String(options.nodes));
  return {
    // kafka.sh gives node N the client port KAFKA_PORT + 2(N − 1).
    brokers: Array.from({ length: options.nodes }, (_, index) => `127.0.0.1:${options.port + 2 * index}`),
    nodes: options.nodes,
    stopNode: (node) => script('stop-node', String(node)),
    startNode: (node) => script('start-node', String(node)),
    destroy: async () => {
      await script('stop').catch((error: unknown) => { console.error(`chaos: stopping the private Kafka failed: ${String(error)}`); });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
