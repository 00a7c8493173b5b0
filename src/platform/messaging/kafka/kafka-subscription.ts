import {
  Consumer, stringDeserializer, type Message, type MessagesStream,
} from '@platformatic/kafka';
import { fallbackLogger, loggedAndIgnored, type Logger } from '../../observability/logger.ts';
import { backoffDelay } from '../../utils/backoff.ts';
import { sleep } from '../../utils/sleep.ts';
import { handleInPlace, nextRunLength } from '../handle-in-place.ts';
import type { CloseOptions, IncomingRecord, PartitionAssignment, SubscribeOptions, Subscription } from '../transport.ts';
import { KAFKA_DEFAULTS, type KafkaTransportOptions } from './kafka-options.ts';

type KafkaMessage = Message<string, Buffer, string, string>;

const BUFFER_HIGH_WATER = 2_000;
const BUFFER_LOW_WATER = 500;
/** Backoff between attempts to replace a consumer whose stream failed (broker away longer than the client's retries). */
const RECOVER_BACKOFF = { initialMs: 500, maxMs: 30_000 };

/**
 * Leaves the group, then closes. `close()` alone (classic protocol, @platformatic/kafka 2.12) keeps the
 * member marked active, so a heartbeat scheduled by a join that was still in flight keeps firing on the
 * closed client every second, forever — it kept a test process alive after all its tests had passed.
 * `leaveGroup()` clears that mark first, and a late heartbeat then cancels itself.
 */
async function closeConsumer(consumer: Consumer<string, Buffer, string, string>, logger: Logger): Promise<void> {
  await new Promise<void>((resolve) => { consumer.leaveGroup(true, () => { resolve(); }); });
  await consumer.close(true).catch(loggedAndIgnored(logger, 'debug', 'closing a Kafka consumer failed (it is discarded either way)'));
}

function toIncoming(message: KafkaMessage): IncomingRecord {
  return {
    topic: message.topic, partition: message.partition, offset: message.offset,
    key: message.key ?? '', value: message.value ?? Buffer.alloc(0),
    headers: Object.fromEntries(message.headers), timestamp: Number(message.timestamp),
  };
}

/** One partition's queue: handled one record (or, for a batch handler, one run of what is waiting) at a time, offsets committed after each. */
class PartitionQueue {
  readonly #pending: KafkaMessage[] = [];
  #draining: Promise<void> | null = null;
  #revoked = false;
  readonly #owner: KafkaSubscription;

  constructor(owner: KafkaSubscription) {
    this.#owner = owner;
  }

  push(message: KafkaMessage): void {
    this.#pending.push(message);
    this.#draining ??= this.#drain().finally(() => { this.#draining = null; });
  }

  /** The partition moved to another member: what is still queued will be delivered there. */
  revoke(): number {
    this.#revoked = true;
    return this.#pending.splice(0).length;
  }

  get idle(): Promise<void> {
    return this.#draining ?? Promise.resolve();
  }

  async #drain(): Promise<void> {
    const owner = this.#owner;
    for (let run = this.#take(); run.length > 0; run = this.#take()) {
      owner.released(run.length);
      if (this.#revoked || owner.stopping.aborted) return;
      const handled = await handleInPlace(owner.subscribed, run.map(toIncoming), owner.stopping, owner.abandon, owner.logger);
      if (handled === null || this.#revoked) return;
      // What the batch handler left goes first in the next run.
      const left = run.slice(handled);
      if (left.length > 0) {
        this.#pending.unshift(...left);
        owner.retained(left.length);
      }
      // Committing the last handled offset commits the ones before it.
      if (handled > 0) owner.track(run[handled - 1]?.commit());
    }
  }

  #take(): KafkaMessage[] {
    return this.#pending.splice(0, nextRunLength(this.#owner.subscribed, this.#pending.length));
  }
}

export class KafkaSubscription implements Subscription {
  readonly groupId: string;
  readonly subscribed: SubscribeOptions;
  readonly logger: Logger;
  readonly #stopping = new AbortController();
  readonly #abandon = new AbortController();
  readonly #queues = new Map<string, PartitionQueue>();
  readonly #commits = new Set<Promise<void>>();
  readonly #options: KafkaTransportOptions;
  #consumer: Consumer<string, Buffer, string, string>;
  #stream: MessagesStream<string, Buffer, string, string> | null = null;
  #topics: readonly string[] = [];
  #recovering: Promise<void> | null = null;
  /** How many times the stream failed and the consumer was replaced. */
  recoveries = 0;
  #buffered = 0;
  #closing: Promise<void> | null = null;
  /** Next offset to route per owned partition: drops records a stale fetch or an offset refresh delivers twice. */
  readonly #nextOffset = new Map<string, bigint>();
  #ownedSource: unknown = undefined;
  #owned = new Set<string>();

  constructor(options: KafkaTransportOptions, subscribe: SubscribeOptions) {
    this.groupId = subscribe.groupId;
    this.subscribed = subscribe;
    this.logger = (subscribe.logger ?? fallbackLogger()).child({ consumerGroup: subscribe.groupId });
    this.#options = options;
    this.#consumer = this.#createConsumer();
  }

  #createConsumer(): Consumer<string, Buffer, string, string> {
    const options = this.#options;
    const consumer = new Consumer<string, Buffer, string, string>({
      clientId: `${options.clientId}-${this.groupId}`,
      bootstrapBrokers: options.brokers,
      groupId: this.groupId,
      autocommit: false,
      sessionTimeout: options.sessionTimeoutMs ?? KAFKA_DEFAULTS.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs ?? KAFKA_DEFAULTS.heartbeatIntervalMs,
      rebalanceTimeout: options.sessionTimeoutMs ?? KAFKA_DEFAULTS.sessionTimeoutMs,
      maxWaitTime: options.maxWaitTimeMs ?? KAFKA_DEFAULTS.maxWaitTimeMs,
      timeout: options.requestTimeoutMs ?? KAFKA_DEFAULTS.requestTimeoutMs,
      deserializers: { key: stringDeserializer, headerKey: stringDeserializer, headerValue: stringDeserializer },
    });
    consumer.on('consumer:group:join', () => { if (consumer === this.#consumer) this.#dropRevoked(); });
    return consumer;
  }

  get stopping(): AbortSignal { return this.#stopping.signal; }
  get abandon(): AbortSignal { return this.#abandon.signal; }

  /**
   * Joins the group and starts consuming. A broker that has just started may not have a group
   * coordinator yet (JoinGroup fails past the client's own retries — seen on a loaded CI machine),
   * so the first join is retried with backoff for up to `startTimeoutMs` before the error is thrown.
   */
  async start(topics: readonly string[]): Promise<void> {
    this.#topics = topics;
    const joined = await this.#consumeRetrying(0, Date.now() + (this.#options.startTimeoutMs ?? KAFKA_DEFAULTS.startTimeoutMs), 'joining the Kafka consumer group failed');
    if (joined.ok) return;
    await closeConsumer(this.#consumer, this.logger);
    throw joined.error;
  }

  /**
   * Consumes with the current consumer; after a failure it closes it, waits (backoff from `fromAttempt` on) and tries
   * a new one, until one consumes, the subscription closes, or the next try would start past `deadline`. The last
   * consumer that failed is left for the caller (or the close) to close.
   */
  async #consumeRetrying(fromAttempt: number, deadline: number, failed: string): Promise<{ ok: true } | { ok: false; error: unknown }> {
    for (let tried = fromAttempt; ; tried += 1) {
      try {
        await this.#consume();
        return { ok: true };
      } catch (error) {
        const retryInMs = backoffDelay(tried, RECOVER_BACKOFF);
        if (this.#stopping.signal.aborted || Date.now() + retryInMs > deadline) return { ok: false, error };
        this.logger.warn({ err: error, attempt: tried + 1, retryInMs }, `${failed}; trying again with backoff`);
        await closeConsumer(this.#consumer, this.logger);
        await sleep(retryInMs, this.#stopping.signal);
        // Closed while it waited: no new consumer.
        if (this.#stopping.signal.aborted) return { ok: false, error };
        this.#replaceConsumer();
      }
    }
  }

  #replaceConsumer(): void {
    this.#consumer = this.#createConsumer();
    this.#ownedSource = undefined;
  }

  async #consume(): Promise<void> {
    const consumer = this.#consumer;
    const stream = await consumer.consume({ topics: [...this.#topics], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    this.#stream = stream;
    stream.on('data', (message: KafkaMessage) => { if (stream === this.#stream) this.#route(message); });
    // The client gives up on a fetch or metadata call after its own retries and destroys the stream
    // (the broker was away too long, a request timed out under load). Without this, consumption would
    // stop for good while the process looked healthy.
    stream.on('error', (error: unknown) => {
      this.logger.warn({ err: error }, 'Kafka consumer stream failed; replacing the consumer');
      this.#recover(stream);
    });
    stream.on('close', () => { this.#recover(stream); });
  }

  /** Replaces a consumer whose stream failed: in-flight work finishes, the rest is fetched again from the committed offsets. */
  #recover(failed: MessagesStream<string, Buffer, string, string>): void {
    if (failed !== this.#stream || this.#stopping.signal.aborted || this.#recovering) return;
    this.#recovering = (async () => {
      const queues = [...this.#queues.values()];
      for (const queue of queues) this.released(queue.revoke());
      this.#queues.clear();
      this.#nextOffset.clear();
      await Promise.all(queues.map((queue) => queue.idle));
      await Promise.all(this.#commits);
      const old = this.#consumer;
      await failed.close().catch(loggedAndIgnored(this.logger, 'debug', 'closing the failed stream failed'));
      await closeConsumer(old, this.logger);
      await sleep(backoffDelay(0, RECOVER_BACKOFF), this.#stopping.signal);
      if (this.#stopping.signal.aborted) return;
      this.#replaceConsumer();
      // No deadline: only a close ends the tries (its failures were each logged at warn).
      const replaced = await this.#consumeRetrying(1, Number.POSITIVE_INFINITY, 'replacing the Kafka consumer failed');
      if (!replaced.ok) return;
      this.recoveries += 1;
      this.logger.info({ recoveries: this.recoveries }, 'Kafka consumer replaced; consuming from the committed offsets');
    })().finally(() => { this.#recovering = null; });
  }

  assignments(): PartitionAssignment[] {
    return (this.#consumer.assignments ?? []).flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
  }

  /** Partitions this member owns now, recomputed only when the client swaps its assignment list. */
  #ownedNow(): Set<string> {
    const source = this.#consumer.assignments;
    if (source !== this.#ownedSource) {
      this.#ownedSource = source;
      this.#owned = new Set(this.assignments().map(({ topic, partition }) => `${topic}:${partition}`));
    }
    return this.#owned;
  }

  #route(message: KafkaMessage): void {
    if (this.#stopping.signal.aborted) return;
    const key = `${message.topic}:${message.partition}`;
    // A long-poll fetch sent before a rebalance can answer after it, carrying partitions that now belong
    // to another member: that member handles them, from the group's committed offset.
    if (!this.#ownedNow().has(key)) return;
    const expected = this.#nextOffset.get(key);
    if (expected !== undefined && message.offset < expected) return;
    this.#nextOffset.set(key, message.offset + 1n);
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new PartitionQueue(this);
      this.#queues.set(key, queue);
    }
    this.#buffered += 1;
    if (this.#buffered >= BUFFER_HIGH_WATER) this.#stream?.pause();
    queue.push(message);
  }

  /** Records handed back to a queue after a batch handler stopped early. */
  retained(count: number): void {
    this.#buffered += count;
  }

  released(count: number): void {
    this.#buffered -= count;
    if (this.#buffered <= BUFFER_LOW_WATER && this.#stream?.isPaused() && !this.#stopping.signal.aborted) this.#stream.resume();
  }

  track(commit: void | Promise<void>): void {
    if (!commit) return;
    // A commit that fails (rebalance, broker gone) only means the record is delivered again; the inbox absorbs it.
    const settled = commit.catch(loggedAndIgnored(this.logger, 'info', 'offset commit failed; the record will be delivered again')).finally(() => this.#commits.delete(settled));
    this.#commits.add(settled);
  }

  #dropRevoked(): void {
    const owned = this.#ownedNow();
    for (const [key, queue] of this.#queues) {
      if (owned.has(key)) continue;
      this.released(queue.revoke());
      this.#queues.delete(key);
      this.#nextOffset.delete(key);
    }
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 30_000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#stopping.abort();
    await this.#recovering;
    this.#stream?.pause();
    let timer: NodeJS.Timeout | undefined;
    const inFlight = Promise.all([...this.#queues.values()].map((queue) => queue.idle));
    const finished = await Promise.race([
      inFlight.then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (!finished) this.#abandon.abort();
    await Promise.all(this.#commits);
    await this.#stream?.close().catch(loggedAndIgnored(this.logger, 'debug', 'closing the consumer stream failed'));
    await closeConsumer(this.#consumer, this.logger);
  }
}
