import type { Logger } from '../observability/logger.ts';
import { partitionForKey } from '../messaging/partitioner.ts';
import type {
  BatchHandler, IncomingRecord, OutgoingRecord, PartitionLag, RecordHandler, SubscribeOptions, Subscription, TopicSpec, Transport,
} from '../messaging/transport.ts';
import { plainScope } from '../messaging/transport.ts';
import type { Clock } from '../utils/clock.ts';

/** A partition of a group that has records its members have not committed yet. */
export interface PendingPartition {
  groupId: string;
  topic: string;
  partition: number;
  /** The next record to hand out (the committed offset). */
  record: IncomingRecord;
}

export type DeliveryOutcome = 'handled' | 'rejected';

interface Member {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handler: RecordHandler;
  readonly batchHandler: BatchHandler | undefined;
  readonly logger: Logger | undefined;
  open: boolean;
}

const keyOf = (topic: string, partition: number): string => `${topic}:${partition}`;
const NEVER = new AbortController().signal;

/**
 * The transport of the deterministic simulation: Kafka's model (keyed
 * partitions, groups, committed offsets) with no delivery loop of its own.
 * Nothing moves until the driver asks: `pending()` lists the partitions with
 * uncommitted records, `deliver()` hands one record to its group's handler and
 * awaits it, committing or not as the driver decides — so redelivery,
 * duplicates, reordering across keys and crashes between effect and commit are
 * steps the driver picks, not timing.
 */
export class SimulatedTransport implements Transport {
  readonly kind = 'in-process' as const;
  readonly #clock: Clock;
  readonly #topics = new Map<string, IncomingRecord[][]>();
  readonly #committed = new Map<string, Map<string, bigint>>();
  readonly #members = new Map<string, Member>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    for (const record of records) {
      if (!this.#topics.has(record.topic)) throw new Error(`unknown topic ${record.topic} (topics are created by ensureTopics)`);
    }
    for (const record of records) {
      const partitions = this.#topics.get(record.topic) ?? [];
      const partition = partitionForKey(record.key, partitions.length);
      const log = partitions[partition];
      log?.push({ ...record, partition, offset: BigInt(log.length), timestamp: this.#clock.now() });
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    for (const topic of options.topics) {
      if (!this.#topics.has(topic)) throw new Error(`cannot subscribe to unknown topic ${topic}`);
    }
    // One member per group: a new subscription of a group (a restarted process) takes over its partitions.
    const previous = this.#members.get(options.groupId);
    if (previous) previous.open = false;
    const member: Member = {
      groupId: options.groupId, topics: options.topics, handler: options.handler, batchHandler: options.batchHandler, logger: options.logger, open: true,
    };
    this.#members.set(options.groupId, member);
    const members = this.#members;
    return {
      groupId: options.groupId,
      assignments: () => (member.open ? member.topics.flatMap((topic) => (this.#topics.get(topic) ?? []).map((_, partition) => ({ topic, partition }))) : []),
      async close() {
        member.open = false;
        if (members.get(member.groupId) === member) members.delete(member.groupId);
      },
    };
  }

  /** Every partition, of every subscribed group, with a record past the committed offset; in a fixed order. */
  pending(): PendingPartition[] {
    const found: PendingPartition[] = [];
    for (const groupId of [...this.#members.keys()].sort()) {
      const member = this.#members.get(groupId);
      if (!member) continue;
      for (const topic of [...member.topics].sort()) {
        (this.#topics.get(topic) ?? []).forEach((log, partition) => {
          const record = log[Number(this.committedOffset(groupId, topic, partition))];
          if (record) found.push({ groupId, topic, partition, record });
        });
      }
    }
    return found;
  }

  committedOffset(groupId: string, topic: string, partition: number): bigint {
    return this.#committed.get(groupId)?.get(keyOf(topic, partition)) ?? 0n;
  }

  /**
   * Hands the record at the committed offset (or, with `redeliver`, the last committed one again) to the group's
   * member and awaits its handler; with `count` above 1, up to that many consecutive records go to its batch
   * handler at once (a member without one gets the first only). `commit: false` is a crash between the
   * handler's effects and the offset commit. Returns the outcome and how many records were handed over.
   */
  async deliver(
    groupId: string, topic: string, partition: number, options: { commit: boolean; redeliver?: boolean; count?: number },
  ): Promise<{ outcome: DeliveryOutcome; records: number }> {
    const member = this.#members.get(groupId);
    if (!member) throw new Error(`no member of ${groupId} is subscribed`);
    const committed = this.committedOffset(groupId, topic, partition);
    const offset = options.redeliver ? committed - 1n : committed;
    const log = this.#topics.get(topic)?.[partition] ?? [];
    const wanted = options.redeliver || !member.batchHandler ? 1 : Math.max(1, options.count ?? 1);
    const records = log.slice(Number(offset), Number(offset) + wanted);
    const [first] = records;
    if (!first) throw new Error(`no record at ${topic}[${partition}]@${offset}`);
    let handled = 1;
    try {
      if (records.length > 1 && member.batchHandler) handled = Math.min(records.length, (await member.batchHandler(records, NEVER, plainScope)) ?? records.length);
      else await member.handler(first, NEVER);
    } catch (error) {
      // Kafka keeps the offset: the records come again (the consumer's own in-place retries already ran).
      member.logger?.warn({ err: error, topic, partition, offset: String(offset), records: records.length }, 'handler rejected; the records stay uncommitted');
      return { outcome: 'rejected', records: records.length };
    }
    if (options.commit && !options.redeliver) {
      let group = this.#committed.get(groupId);
      if (!group) this.#committed.set(groupId, group = new Map<string, bigint>());
      group.set(keyOf(topic, partition), offset + BigInt(handled));
    }
    return { outcome: 'handled', records: handled };
  }

  /** Whether the group has committed at least one record of the partition (so a duplicate can be handed out). */
  hasCommitted(groupId: string, topic: string, partition: number): boolean {
    return this.committedOffset(groupId, topic, partition) > 0n;
  }

  /** Partitions where the group has committed something (duplicates are drawn from these). */
  committedPartitions(groupId: string): { topic: string; partition: number }[] {
    return [...(this.#committed.get(groupId)?.entries() ?? [])].filter(([, offset]) => offset > 0n).map(([key]) => {
      const at = key.lastIndexOf(':');
      return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
    }).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  /** Records appended so far (every topic). */
  recordCount(): number {
    let count = 0;
    for (const partitions of this.#topics.values()) for (const log of partitions) count += log.length;
    return count;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      if (!this.#topics.has(spec.name)) this.#topics.set(spec.name, Array.from({ length: spec.partitions }, () => []));
    }
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, number>> {
    return new Map(names.filter((name) => this.#topics.has(name)).map((name) => [name, this.#topics.get(name)?.length ?? 0]));
  }

  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    return topics.flatMap((topic) => (this.#topics.get(topic) ?? []).map((log, partition) => {
      const committedOffset = this.committedOffset(groupId, topic, partition);
      const endOffset = BigInt(log.length);
      return { topic, partition, committedOffset, endOffset, lag: endOffset - committedOffset };
    }));
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    // Nothing external to release.
  }
}
