import { fallbackLogger, type Logger } from '../../observability/logger.ts';
import { partitionForKey } from '../partitioner.ts';
import type {
  CloseOptions, IncomingRecord, OutgoingRecord, PartitionAssignment, PartitionLag,
  SubscribeOptions, Subscription, TopicSpec, Transport,
} from '../transport.ts';
import { SerialQueue } from '../../utils/serial-queue.ts';
import { PartitionWorker, type Handlers, type PartitionLog } from './partition-worker.ts';

class Partition implements PartitionLog {
  readonly records: IncomingRecord[] = [];
  #waiters = new Set<() => void>();

  append(record: OutgoingRecord, partition: number): void {
    this.records.push({ ...record, partition, offset: BigInt(this.records.length), timestamp: Date.now() });
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    // Wake consumers on a later tick, as a broker round trip would.
    setImmediate(() => { for (const wake of waiters) wake(); });
  }

  waitForAppend(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const wake = (): void => {
        this.#waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

class Member implements Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly handlers: Handlers;
  readonly logger: Logger;
  readonly workers = new Map<string, { assignment: PartitionAssignment; worker: PartitionWorker }>();
  readonly #group: ConsumerGroup;

  constructor(group: ConsumerGroup, options: SubscribeOptions) {
    this.#group = group;
    this.groupId = options.groupId;
    this.topics = options.topics;
    this.handlers = options;
    this.logger = options.logger ?? fallbackLogger();
  }

  assignments(): PartitionAssignment[] {
    return [...this.workers.values()].map(({ assignment }) => assignment);
  }

  close(options: CloseOptions = {}): Promise<void> {
    return this.#group.leave(this, options.timeoutMs ?? 30_000);
  }
}

/** Committed offsets and members of one consumer group; rebalances eagerly, like Kafka's classic protocol. */
class ConsumerGroup {
  readonly committed = new Map<string, bigint>();
  readonly #members: Member[] = [];
  readonly #queue = new SerialQueue();
  readonly #broker: InProcessTransport;

  constructor(broker: InProcessTransport) {
    this.#broker = broker;
  }

  join(member: Member): Promise<void> {
    return this.#queue.run(async () => {
      this.#members.push(member);
      await this.#rebalance(30_000);
    });
  }

  leave(member: Member, timeoutMs: number): Promise<void> {
    return this.#queue.run(async () => {
      const index = this.#members.indexOf(member);
      if (index < 0) return;
      this.#members.splice(index, 1);
      await Promise.all([...member.workers.values()].map(({ worker }) => worker.stop(timeoutMs)));
      member.workers.clear();
      await this.#rebalance(timeoutMs);
    });
  }

  /** Round-robin of every subscribed partition over the members, in join order. */
  async #rebalance(timeoutMs: number): Promise<void> {
    const target = new Map<Member, PartitionAssignment[]>(this.#members.map((member) => [member, []]));
    const topics = [...new Set(this.#members.flatMap((member) => member.topics))].sort();
    let next = 0;
    for (const topic of topics) {
      const subscribers = this.#members.filter((member) => member.topics.includes(topic));
      for (let partition = 0; partition < this.#broker.partitionCount(topic); partition += 1) {
        const owner = subscribers[next++ % subscribers.length];
        if (owner) target.get(owner)?.push({ topic, partition });
      }
    }
    // Revoke first, so no partition is ever handled by two members at once.
    const revocations: Promise<void>[] = [];
    for (const member of this.#members) {
      const keep = new Set((target.get(member) ?? []).map(({ topic, partition }) => partitionKey(topic, partition)));
      for (const [key, { worker }] of member.workers) {
        if (keep.has(key)) continue;
        member.workers.delete(key);
        revocations.push(worker.stop(timeoutMs));
      }
    }
    await Promise.all(revocations);
    for (const [member, assignments] of target) {
      for (const assignment of assignments) {
        const key = partitionKey(assignment.topic, assignment.partition);
        if (member.workers.has(key)) continue;
        const log = this.#broker.partition(assignment.topic, assignment.partition);
        const worker = new PartitionWorker(log, this.committed.get(key) ?? 0n, member.handlers, (offset) => {
          if (offset > (this.committed.get(key) ?? 0n)) this.committed.set(key, offset);
        }, member.logger);
        member.workers.set(key, { assignment, worker });
      }
    }
  }
}

/** An in-memory broker with Kafka's semantics for the embedded mode: topics, keyed partitions, groups, offsets. */
export class InProcessTransport implements Transport {
  readonly kind = 'in-process' as const;
  readonly #topics = new Map<string, Partition[]>();
  readonly #groups = new Map<string, ConsumerGroup>();

  partitionCount(topic: string): number {
    return this.#topics.get(topic)?.length ?? 0;
  }

  partition(topic: string, partition: number): Partition {
    const log = this.#topics.get(topic)?.[partition];
    if (!log) throw new Error(`unknown partition ${topic}[${partition}]`);
    return log;
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    // All-or-nothing, like one idempotent produce request: check every topic first.
    for (const record of records) {
      if (!this.#topics.has(record.topic)) throw new Error(`unknown topic ${record.topic} (topics are created by ensureTopics)`);
    }
    for (const record of records) {
      const partitions = this.#topics.get(record.topic) ?? [];
      const index = partitionForKey(record.key, partitions.length);
      partitions[index]?.append(record, index);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    for (const topic of options.topics) {
      if (!this.#topics.has(topic)) throw new Error(`cannot subscribe to unknown topic ${topic}`);
    }
    let group = this.#groups.get(options.groupId);
    if (!group) {
      group = new ConsumerGroup(this);
      this.#groups.set(options.groupId, group);
    }
    const member = new Member(group, options);
    await group.join(member);
    return member;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      if (this.#topics.has(spec.name)) continue;
      this.#topics.set(spec.name, Array.from({ length: spec.partitions }, () => new Partition()));
    }
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, number>> {
    return new Map(names.filter((name) => this.#topics.has(name)).map((name) => [name, this.partitionCount(name)]));
  }

  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const committed = this.#groups.get(groupId)?.committed ?? new Map<string, bigint>();
    return topics.flatMap((topic) => (this.#topics.get(topic) ?? []).map((log, partition) => {
      const committedOffset = committed.get(partitionKey(topic, partition)) ?? 0n;
      const endOffset = BigInt(log.records.length);
      return { topic, partition, committedOffset, endOffset, lag: endOffset - committedOffset };
    }));
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    // Subscriptions are closed by their owners; nothing external to release.
  }
}
