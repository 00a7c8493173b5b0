import {
  Admin, Consumer, ProduceAcks, Producer, compatibilityPartitioner, stringSerializer,
} from '@platformatic/kafka';
import type { OutgoingRecord, PartitionLag, SubscribeOptions, Subscription, TopicSpec, Transport } from '../transport.ts';
import { fallbackLogger, loggedAndIgnored, type Logger } from '../../observability/logger.ts';
import { KAFKA_DEFAULTS, type KafkaTransportOptions } from './kafka-options.ts';
import { KafkaSubscription } from './kafka-subscription.ts';
import { backoffDelay } from '../../utils/backoff.ts';
import { sleep } from '../../utils/sleep.ts';
import { TaskCancelledError, TimeoutStrategy, timeout } from 'cockatiel';

function isTopicExistsError(error: unknown): boolean {
  return /TOPIC_ALREADY_EXISTS|already exists/i.test(JSON.stringify(error, Object.getOwnPropertyNames(error ?? {})));
}

/** The Kafka adapter of the transport port, on @platformatic/kafka (see docs/architecture.md for the choice). */
export class KafkaTransport implements Transport {
  readonly kind = 'kafka' as const;
  readonly #options: KafkaTransportOptions;
  readonly #subscriptions = new Set<KafkaSubscription>();
  #producer: Producer<string, Buffer, string, string> | null = null;
  #admin: Admin | null = null;
  readonly #logger: Logger;

  constructor(options: KafkaTransportOptions) {
    this.#options = options;
    this.#logger = options.logger ?? fallbackLogger();
  }

  get #base() {
    return {
      bootstrapBrokers: this.#options.brokers,
      timeout: this.#options.requestTimeoutMs ?? KAFKA_DEFAULTS.requestTimeoutMs,
    };
  }

  #producerClient(): Producer<string, Buffer, string, string> {
    // Idempotent with acks=all: a retried produce request never writes a record twice.
    this.#producer ??= new Producer({
      ...this.#base,
      clientId: `${this.#options.clientId}-producer`,
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
    });
    return this.#producer;
  }

  #adminClient(): Admin {
    this.#admin ??= new Admin({ ...this.#base, clientId: `${this.#options.clientId}-admin` });
    return this.#admin;
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const producer = this.#producerClient();
    const sent = producer.send({
      messages: records.map((record) => ({
        topic: record.topic, key: record.key, value: record.value, headers: new Map(Object.entries(record.headers)),
      })),
    });
    // A send that outlives every request timeout and retry is a wedged client (seen after a broker restart):
    // it is dropped, and the next publish makes a new one. What it may still write comes again (consumers dedupe).
    try {
      await timeout(KAFKA_DEFAULTS.publishTimeoutMs, TimeoutStrategy.Aggressive).execute(() => sent);
    } catch (error) {
      if (error instanceof TaskCancelledError && this.#producer === producer) {
        this.#producer = null;
        this.#logger.warn({ records: records.length, timeoutMs: KAFKA_DEFAULTS.publishTimeoutMs }, 'Kafka produce did not finish in time; the producer is replaced');
        sent.catch(loggedAndIgnored(this.#logger, 'debug', 'the replaced producer\'s send failed'));
        producer.close(true).catch(loggedAndIgnored(this.#logger, 'warn', 'closing the replaced Kafka producer failed'));
      }
      throw error;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const subscription = new KafkaSubscription(this.#options, options);
    await subscription.start(options.topics);
    this.#subscriptions.add(subscription);
    const close = subscription.close.bind(subscription);
    subscription.close = async (closeOptions) => {
      this.#subscriptions.delete(subscription);
      await close(closeOptions);
    };
    return subscription;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const existing = await this.describeTopics(specs.map((spec) => spec.name));
    for (const spec of specs.filter((candidate) => !existing.has(candidate.name))) {
      try {
        await this.#adminClient().createTopics({
          topics: [spec.name], partitions: spec.partitions, replicas: spec.replicationFactor,
          configs: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
        });
      } catch (error) {
        if (!isTopicExistsError(error)) throw error;
      }
    }
    await this.#awaitTopics(specs.map((spec) => spec.name));
  }

  /**
   * A topic another process just created (or this one: creation is asynchronous in KRaft) may be listed before its
   * metadata reaches every broker; a consumer subscribing then fails with "Unknown topic". Wait until each has metadata.
   */
  async #awaitTopics(names: readonly string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      let missing: string[];
      try {
        const known = await this.describeTopics(names);
        missing = names.filter((name) => (known.get(name) ?? 0) === 0);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        this.#logger.debug({ err: error }, 'topic metadata not ready yet; asking again');
        missing = [...names];
      }
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`topics still without metadata after ${timeoutMs} ms: ${missing.join(', ')}`);
      await sleep(backoffDelay(attempt, { initialMs: 100, maxMs: 1_000 }));
    }
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, number>> {
    const present = new Set(await this.#adminClient().listTopics());
    const wanted = names.filter((name) => present.has(name));
    if (wanted.length === 0) return new Map();
    const metadata = await this.#adminClient().metadata({ topics: wanted, forceUpdate: true });
    return new Map(wanted.flatMap((name) => {
      const topic = metadata.topics.get(name);
      return topic ? [[name, topic.partitionsCount] as const] : [];
    }));
  }

  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const counts = await this.describeTopics(topics);
    const reader = new Consumer({ ...this.#base, clientId: `${this.#options.clientId}-lag`, groupId });
    try {
      const partitionsOf = (topic: string) => Array.from({ length: counts.get(topic) ?? 0 }, (_, index) => index);
      const present = topics.filter((topic) => counts.has(topic));
      const committed = await reader.listCommittedOffsets({ topics: present.map((topic) => ({ topic, partitions: partitionsOf(topic) })) });
      const ends = await reader.listOffsets({ topics: present, timestamp: -1n });
      return present.flatMap((topic) => partitionsOf(topic).map((partition) => {
        const endOffset = ends.get(topic)?.[partition] ?? 0n;
        const raw = committed.get(topic)?.[partition] ?? -1n;
        const committedOffset = raw < 0n ? 0n : raw;
        return { topic, partition, committedOffset, endOffset, lag: endOffset > committedOffset ? endOffset - committedOffset : 0n };
      }));
    } finally {
      await reader.close(true).catch(loggedAndIgnored(this.#logger, 'debug', 'closing the lag reader failed'));
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.#adminClient().metadata({ topics: [], forceUpdate: true });
      return true;
    } catch (error) {
      this.#logger.warn({ err: error }, 'Kafka unreachable (readiness ping failed)');
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.#producer?.close(true).catch(loggedAndIgnored(this.#logger, 'warn', 'closing the Kafka producer failed'));
    await this.#admin?.close().catch(loggedAndIgnored(this.#logger, 'debug', 'closing the Kafka admin client failed'));
  }
}
