import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { KafkaTransport } from '../../../src/platform/messaging/kafka/kafka-transport.ts';
import { kafkaBrokers, uniqueName } from '../../support/env.ts';

test("Kafka's own CLI sees the topics the admin client created, with the configured partition count", async () => {
  const transport = new KafkaTransport({ brokers: kafkaBrokers(), clientId: uniqueName('cli') });
  const topic = uniqueName('admin.created');
  try {
    await transport.ensureTopics([{ name: topic, partitions: 5, replicationFactor: 1 }]);
  } finally {
    await transport.close();
  }
  const script = process.env.KAFKA_SCRIPT ?? join(import.meta.dirname, '..', '..', '..', 'scripts', 'kafka.sh');
  const described = spawnSync('bash', [script, 'topics', '--bootstrap-server', kafkaBrokers().join(','), '--describe', '--topic', topic], { encoding: 'utf8' });
  assert.equal(described.status, 0, described.stderr);
  assert.match(described.stdout, new RegExp(`Topic: ${topic}\\s+TopicId: \\S+\\s+PartitionCount: 5\\s+ReplicationFactor: 1`));
});
