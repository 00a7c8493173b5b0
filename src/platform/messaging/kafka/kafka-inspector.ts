import { Admin, ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import { KAFKA_DEFAULTS } from './kafka-options.ts';

export interface PartitionDescription {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicDescription {
  /** The name paysaga uses (without the namespace prefix). */
  topic: string;
  /** The name on the broker. */
  wireName: string;
  partitions: PartitionDescription[];
  replicationFactor: number;
  /** Every config set on the topic itself, plus the ones operators ask about first (retention, min ISR, cleanup). */
  configs: Record<string, string | null>;
  /** Partitions whose in-sync replicas are fewer than min.insync.replicas: writes with acks=all fail there. */
  underMinIsr: number[];
}

export interface GroupLag {
  group: string;
  wireGroup: string;
  /** The group's state on the broker (Stable, Empty, Dead, …). */
  state: string;
  members: number;
  partitions: { topic: string; partition: number; committedOffset: bigint | null; endOffset: bigint; lag: bigint }[];
}

const ALWAYS_SHOWN = ['retention.ms', 'min.insync.replicas', 'cleanup.policy', 'retention.bytes', 'max.message.bytes'];

/**
 * Read-only views of the broker for operators (`paysaga topics describe`, `paysaga lag`): topic layout and
 * configs, and each consumer group's committed offsets against the end offsets — straight from Kafka, so they
 * work with every service stopped. Names are given and answered without the namespace prefix.
 */
export class KafkaInspector {
  readonly #admin: Admin;
  readonly #prefix: string;

  constructor(options: { brokers: readonly string[]; namespace: string | null; clientId?: string }) {
    this.#admin = new Admin({ bootstrapBrokers: [...options.brokers], clientId: options.clientId ?? 'paysaga-inspector', timeout: KAFKA_DEFAULTS.requestTimeoutMs });
    this.#prefix = options.namespace ? `${options.namespace}.` : '';
  }

  #wire = (name: string): string => `${this.#prefix}${name}`;
  #logical = (name: string): string => (name.startsWith(this.#prefix) ? name.slice(this.#prefix.length) : name);

  /** The topics (logical names) that exist on the broker among `names`, or every topic in the namespace. */
  async topics(names?: readonly string[]): Promise<string[]> {
    const present = await this.#admin.listTopics();
    const inNamespace = present.filter((name) => name.startsWith(this.#prefix)).map(this.#logical);
    return names ? names.filter((name) => inNamespace.includes(name)) : inNamespace.sort();
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    if (names.length === 0) return [];
    const metadata = await this.#admin.metadata({ topics: names.map(this.#wire), forceUpdate: true });
    const configs = await this.#admin.describeConfigs({
      resources: names.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: this.#wire(name) })),
    });
    return names.map((topic) => {
      const wireName = this.#wire(topic);
      const meta = metadata.topics.get(wireName);
      const partitions = (meta?.partitions ?? []).map((partition, index) => ({
        partition: index, leader: partition.leader, replicas: [...partition.replicas], isr: [...partition.isr], offlineReplicas: [...partition.offlineReplicas],
      }));
      const described = configs.find((entry) => entry.resourceName === wireName)?.configs ?? [];
      const shown = Object.fromEntries(described
        .filter((config) => config.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG || ALWAYS_SHOWN.includes(config.name))
        .map((config) => [config.name, config.isSensitive ? '(sensitive)' : config.value ?? null] as const)
        .sort(([a], [b]) => a.localeCompare(b)));
      const minIsr = Number(shown['min.insync.replicas'] ?? 1);
      return {
        topic, wireName, partitions, replicationFactor: partitions[0]?.replicas.length ?? 0, configs: shown,
        underMinIsr: partitions.filter((partition) => partition.isr.length < minIsr).map((partition) => partition.partition),
      };
    });
  }

  /** The consumer groups (logical names) on the broker in this namespace. */
  async groups(): Promise<string[]> {
    const groups = await this.#admin.listGroups();
    return [...groups.keys()].filter((group) => group.startsWith(this.#prefix)).map(this.#logical).sort();
  }

  /**
   * Per partition of every topic the group committed to or is assigned: committed offset (null: never committed,
   * the group starts at the earliest record), end offset and lag. A group unknown to the broker answers state Dead.
   */
  async lag(groups: readonly string[]): Promise<GroupLag[]> {
    if (groups.length === 0) return [];
    const wireGroups = groups.map(this.#wire);
    const described = await this.#admin.describeGroups({ groups: wireGroups });
    const committed = await this.#admin.listConsumerGroupOffsets({ groups: wireGroups });
    const perGroup = groups.map((group) => {
      const wireGroup = this.#wire(group);
      const info = described.get(wireGroup);
      const offsets = new Map<string, bigint>();
      for (const topic of committed.find((entry) => entry.groupId === wireGroup)?.topics ?? []) {
        for (const partition of topic.partitions) offsets.set(`${topic.name}\u0000${partition.partitionIndex}`, partition.committedOffset);
      }
      const partitions = new Set(offsets.keys());
      for (const member of info?.members.values() ?? []) {
        for (const assignment of member.assignments?.values() ?? []) {
          for (const partition of assignment.partitions) partitions.add(`${assignment.topic}\u0000${partition}`);
        }
      }
      return { group, wireGroup, info, offsets, partitions: [...partitions].map((key) => {
        const [topic = '', partition = '0'] = key.split('\u0000');
        return { wireTopic: topic, partition: Number(partition) };
      }) };
    });
    const wanted = new Map<string, Set<number>>();
    for (const { partitions } of perGroup) {
      for (const { wireTopic, partition } of partitions) wanted.set(wireTopic, (wanted.get(wireTopic) ?? new Set()).add(partition));
    }
    const ends = new Map<string, bigint>();
    if (wanted.size > 0) {
      const listed = await this.#admin.listOffsets({
        topics: [...wanted].map(([name, partitions]) => ({ name, partitions: [...partitions].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })),
      });
      for (const topic of listed) for (const partition of topic.partitions) ends.set(`${topic.name}\u0000${partition.partitionIndex}`, partition.offset);
    }
    return perGroup.map(({ group, wireGroup, info, offsets, partitions }) => ({
      group, wireGroup, state: info?.state ?? 'Dead', members: info?.members.size ?? 0,
      partitions: partitions.map(({ wireTopic, partition }) => {
        const key = `${wireTopic}\u0000${partition}`;
        const raw = offsets.get(key);
        const committedOffset = raw === undefined || raw < 0n ? null : raw;
        const endOffset = ends.get(key) ?? 0n;
        const from = committedOffset ?? 0n;
        return { topic: this.#logical(wireTopic), partition, committedOffset, endOffset, lag: endOffset > from ? endOffset - from : 0n };
      }).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    }));
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }
}
