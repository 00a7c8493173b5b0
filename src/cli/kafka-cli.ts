import type { PlatformConfig } from '../platform/config.ts';
import type { KafkaInspector } from '../platform/messaging/kafka/kafka-inspector.ts';
import { UsageError } from './cli-conventions.ts';

/** The configuration of a command that talks to Kafka: KAFKA_BROKERS must be set (the in-process log lives inside its own process). */
export async function kafkaConfig(): Promise<PlatformConfig> {
  const { loadConfig } = await import('../platform/config.ts');
  const config = loadConfig();
  if (config.kafkaBrokers.length === 0) throw new UsageError('set KAFKA_BROKERS (e.g. 127.0.0.1:9092): the embedded transport lives inside its own process');
  return config;
}

/** Runs `work` with a read-only inspector of the broker in PAYSAGA_NAMESPACE, closed afterwards. */
export async function withInspector<T>(work: (inspector: KafkaInspector) => Promise<T>): Promise<T> {
  const config = await kafkaConfig();
  const { KafkaInspector } = await import('../platform/messaging/kafka/kafka-inspector.ts');
  const inspector = new KafkaInspector({ brokers: config.kafkaBrokers, namespace: config.namespace, clientId: 'paysaga-cli' });
  try {
    return await work(inspector);
  } finally {
    await inspector.close();
  }
}
