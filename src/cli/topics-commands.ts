import type { Command } from 'commander';
import { printResult, withJson } from './cli-conventions.ts';
import { kafkaConfig, withInspector } from './kafka-cli.ts';

/** `paysaga topics create|describe`: paysaga's Kafka topics (KAFKA_BROKERS, PAYSAGA_NAMESPACE). */
export function registerTopicsCommands(program: Command): void {
  const topics = program.command('topics').description('create and describe paysaga\'s Kafka topics (KAFKA_BROKERS)');

  withJson(topics.command('create')
    .description('create every paysaga topic (idempotent) with KAFKA_PARTITIONS, KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS'))
    .action(async (options: { json?: boolean }) => {
      const config = await kafkaConfig();
      const { openTransport } = await import('../platform/messaging/open-transport.ts');
      const { paysagaTopicSpecs } = await import('../platform/messaging/topic-specs.ts');
      const transport = openTransport(config, 'paysaga-cli');
      try {
        const specs = paysagaTopicSpecs(config);
        await transport.ensureTopics(specs);
        const counts = await transport.describeTopics(specs.map((spec) => spec.name));
        const created = specs.map((spec) => ({ topic: spec.name, partitions: counts.get(spec.name) ?? null }));
        printResult(options, { topics: created }, ({ topics: rows }) => rows.map((row) => `${row.topic}\t${row.partitions ?? 'missing'} partitions`).join('\n'));
      } finally {
        await transport.close();
      }
    });

  withJson(topics.command('describe')
    .description('partitions, replication, leader and in-sync replicas per partition, and the topic configs (retention, min.insync.replicas, …)')
    .argument('[topics...]', 'topic names (default: every topic in the namespace)'))
    .action(async (names: string[], options: { json?: boolean }) => {
      await withInspector(async (inspector) => {
        const present = await inspector.topics(names.length > 0 ? names : undefined);
        const missing = names.filter((name) => !present.includes(name));
        if (missing.length > 0) throw new Error(`no such topic: ${missing.join(', ')} (paysaga topics create makes them)`);
        if (present.length === 0) throw new Error('no paysaga topic on this broker in this namespace (paysaga topics create makes them)');
        const described = await inspector.describeTopics(present);
        printResult(options, { topics: described }, (data) => data.topics.map((topic) => [
          `${topic.topic}${topic.wireName === topic.topic ? '' : ` (${topic.wireName})`}  partitions ${topic.partitions.length}  replication ${topic.replicationFactor}${topic.underMinIsr.length > 0 ? `  UNDER MIN ISR: ${topic.underMinIsr.join(',')}` : ''}`,
          `  configs: ${Object.entries(topic.configs).map(([name, value]) => `${name}=${value ?? '-'}`).join(' ')}`,
          ...topic.partitions.map((partition) => `  partition ${partition.partition}  leader ${partition.leader}  replicas ${partition.replicas.join(',')}  isr ${partition.isr.join(',')}${partition.offlineReplicas.length > 0 ? `  offline ${partition.offlineReplicas.join(',')}` : ''}`),
        ].join('\n')).join('\n'));
      });
    });
}
