import { fallbackLogger, type Logger } from '../../observability/logger.ts';
import { partitionForKey } from '../partitioner.ts';
import type {
  CloseOptions, IncomingRecord, OutgoingRecord, PartitionAssignment, PartitionLag,
  SubscribeOptions, Subscription, TopicSpec, Transport,
} from '../transport.ts';
import { SerialQueue } from '../../utils/serial-queue.ts';
import { PartitionWorker, type Handlers, type PartitionLog } from './partition-worker.ts';

/** How long a record every consuming group has committed is kept before it may be dropped (Kafka's retention). */
const DEFAULT_RETENTION_MS = 60_000;
/** A partition looks for records to drop once per this many appends. */
const TRIM_EVERY = 1_000;

class Partition implements PartitionLog {
  #records: IncomingRecord[] = [];
  /** The offset of `#records[0]`: records before it were dropped. */
  #start = 0n;
  #appendsSinceTrim = 0;
  #waiters = new Set<() => void>();
  readonly #trimBefore: () => bigint;
  readonly #retentionMs: number;

  /** `trimBefore` says the lowest offset a consuming group still needs (the log end when none consumes). */
  constructor(trimBefore: () => bigint, retentionMs: number) {
    this.#trimBefore = trimBefore;
    this.#retentionMs = retentionMs;
  }

  get startOffset(): bigint { return this.#start; }
  get endOffset(): bigint { return this.#start + BigInt(this.#records.length); }

  read(from: bigint, max: number): IncomingRecord[] {
    const index = Number(from - this.#start);
    return index < 0 ? [] : this.#records.slice(index, index + max);
  }

  append(record: OutgoingRecord, partition: number): void {
    this.#records.push({ ...record, partition, offset: this.endOffset, timestamp: Date.now() });
    if ((this.#appendsSinceTrim += 1) >= TRIM_EVERY) this.#trim();
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    // Wake consumers on a later tick, as a broker round trip would.
    setImmediate(() => { for (const wake of waiters) wake(); });
  }

  /**
   * Bounded memory: drops the records every group has committed once they are older than the retention, as a
   * broker's retention does (a group that was away longer starts at the oldest record kept).
   */
  #trim(): void {
    this.#appendsSinceTrim = 0;
    const needed = this.#trimBefore();
    const cutoff = Date.now() - this.#retentionMs;
    let drop = 0;
    while (drop < this.#records.length) {
      const record = this.#records[drop];
      if (!record || record.offset >= needed || record.timestamp >= cutoff) break;
      drop += 1;
    }
    if (drop === 0) return;
    this.#records = this.#records.slice(drop);
    this.#start += BigInt(drop);
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

  /** The offset this group still needs on a partition, or null when no member of it reads the topic. */
  neededOffset(topic: string, partition: number): bigint | null {
    if (!this.#members.some((member) => member.topics.includes(topic))) return null;
    return this.committed.get(partitionKey(topic, partition)) ?? 0n;
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
        const committed = this.committed.get(key) ?? 0n;
        // A group that never committed starts at the oldest record kept, as on Kafka; one that had fallen behind is told.
        if (this.committed.has(key) && committed < log.startOffset) {
          member.logger.warn({ topic: assignment.topic, partition: assignment.partition, committedOffset: String(committed), startOffset: String(log.startOffset) },
            'records this group had not consumed were dropped by retention; it starts at the oldest record kept');
        }
        const worker = new PartitionWorker(log, committed < log.startOffset ? log.startOffset : committed, member.handlers, (offset) => {
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
  readonly #retentionMs: number;

  /** `retentionMs`: how long a record all its groups have committed is kept (default 60 s). */
  constructor(options: { retentionMs?: number } = {}) {
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  }

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

  /** The lowest offset a group reading the topic still needs; the log end when none reads it. */
  #neededOffset(topic: string, partition: number): bigint {
    let needed = this.partition(topic, partition).endOffset;
    for (const group of this.#groups.values()) {
      const offset = group.neededOffset(topic, partition);
      if (offset !== null && offset < needed) needed = offset;
    }
    return needed;
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
      this.#topics.set(spec.name, Array.from({ length: spec.partitions }, (_, partition) => new Partition(() => this.#neededOffset(spec.name, partition), this.#retentionMs)));
    }
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, number>> {
    return new Map(names.filter((name) => this.#topics.has(name)).map((name) => [name, this.partitionCount(name)]));
  }

  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const committed = this.#groups.get(groupId)?.committed ?? new Map<string, bigint>();
    return topics.flatMap((topic) => (this.#topics.get(topic) ?? []).map((log, partition) => {
      const committedOffset = committed.get(partitionKey(topic, partition)) ?? 0n;
      const endOffset = log.endOffset;
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
