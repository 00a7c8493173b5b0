/**
 * The transport port. Two adapters implement it with the same semantics — Kafka
 * (distributed mode) and an in-process log (embedded mode) — and one contract
 * test suite (test/platform/messaging/transport-contract.ts) holds both to it:
 *
 * - a record's partition is chosen from its key (Kafka's murmur2), so every
 *   record of one order lands on one partition, in order;
 * - members of one consumer group share a topic's partitions; each record is
 *   handed to one member;
 * - a partition's records are handled one at a time, in offset order; different
 *   partitions are handled concurrently;
 * - a subscriber that gives a batch handler may be handed a run of a partition's
 *   consecutive records at once (what is waiting, up to `maxBatch`), still in
 *   offset order, and the offsets of the records it says it handled are
 *   committed together once it resolved (the others come again next);
 * - an offset is committed only after the handler resolved; a rejected handler
 *   is retried in place (never skipped), and a record whose handler had not
 *   resolved when its member went away is redelivered to the next owner;
 * - a group that has never committed starts at the earliest record.
 */
import type { Logger } from '../observability/logger.ts';

export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface IncomingRecord extends OutgoingRecord {
  partition: number;
  offset: bigint;
  /** Milliseconds since the epoch at which the record was appended. */
  timestamp: number;
}

/**
 * Called for each record; `signal` aborts as soon as the subscription starts closing: a handler that is
 * waiting (a retry delay) should give up at once — its record stays uncommitted and is delivered again.
 */
export type RecordHandler = (record: IncomingRecord, signal: AbortSignal) => Promise<void>;

/**
 * Runs one record's share of a batch in that record's scope: the tracing adapter opens the record's `process` span
 * there (continued from its headers), so a batch keeps one span per record.
 */
export type RecordScope = <T>(record: IncomingRecord, work: () => Promise<T>) => Promise<T>;

/**
 * Called with a run of one partition's consecutive records (one or more, in offset order). It resolves with how
 * many leading records it handled (all when it resolves with nothing): their offsets are committed, the rest are
 * handed over again next (a handler may stop early: a time budget spent, a stop begun). A rejection retries the
 * same run in place. `signal` is the record handler's.
 */
export type BatchHandler = (records: readonly IncomingRecord[], signal: AbortSignal, scope: RecordScope) => Promise<number | void>;

/** The scope of an adapter that adds nothing around a record. */
export const plainScope: RecordScope = (_record, work) => work();

export interface SubscribeOptions {
  groupId: string;
  topics: readonly string[];
  handler: RecordHandler;
  /** When given, adapters that deliver in batches call it (instead of `handler`) with what a partition has waiting. */
  batchHandler?: BatchHandler;
  /** Most records in one batch (default 100). */
  maxBatch?: number;
  /** Where the adapter reports a handler rejection it retries in place, and its own client errors. */
  logger?: Logger;
}

export interface PartitionAssignment {
  topic: string;
  partition: number;
}

export interface CloseOptions {
  /** How long to wait for in-flight handlers; those still running are abandoned uncommitted. Default 30 s. */
  timeoutMs?: number;
}

export interface Subscription {
  readonly groupId: string;
  /** The partitions this member owns right now. */
  assignments(): PartitionAssignment[];
  /** Stops fetching, waits for in-flight handlers, commits their offsets, leaves the group. */
  close(options?: CloseOptions): Promise<void>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  config?: Record<string, string>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: bigint;
  endOffset: bigint;
  lag: bigint;
}

export interface Transport {
  readonly kind: 'kafka' | 'in-process';
  /** Appends records durably (Kafka: idempotent producer, acks=all); rejects if any could not be written. */
  publish(records: readonly OutgoingRecord[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Partition counts of existing topics; a missing topic is absent from the map. */
  describeTopics(names: readonly string[]): Promise<Map<string, number>>;
  /** Committed offset, end offset and lag of a group on each partition of the topics. */
  lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]>;
  /** Whether the transport can reach its broker right now (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
