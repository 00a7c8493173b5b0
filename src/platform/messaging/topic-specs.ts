import { EVENT_TOPICS } from '../../contracts/catalogue.ts';
import { withDerivedTopics } from '../../contracts/topics.ts';
import type { PlatformConfig } from '../config.ts';
import type { TopicSpec } from './transport.ts';

/** Every topic paysaga needs (events, their retry and dead-letter topics) as configured. */
export function paysagaTopicSpecs(config: Pick<PlatformConfig, 'partitions' | 'replicationFactor' | 'minInsyncReplicas'>): TopicSpec[] {
  const topicConfig = config.minInsyncReplicas ? { 'min.insync.replicas': String(config.minInsyncReplicas) } : undefined;
  return withDerivedTopics(EVENT_TOPICS).map((name) => ({
    name, partitions: config.partitions, replicationFactor: config.replicationFactor, ...(topicConfig ? { config: topicConfig } : {}),
  }));
}
