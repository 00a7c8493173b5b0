import type { IncomingRecord, PartitionLag, Subscription, SubscribeOptions, TopicSpec, Transport } from './transport.ts';

/**
 * One paysaga deployment's view of a shared broker: every topic and consumer
 * group is prefixed with `<namespace>.` on the wire and unprefixed above, so
 * services, retry and dead-letter routing keep using the logical names. Two
 * namespaces on one Kafka never see each other's messages (tests, tenants,
 * staging next to production).
 */
export class NamespacedTransport implements Transport {
  readonly #inner: Transport;
  readonly #prefix: string;

  constructor(inner: Transport, namespace: string) {
    if (!/^[A-Za-z0-9_-]+$/.test(namespace)) throw new Error(`namespace must be letters, digits, _ or -, got ${JSON.stringify(namespace)}`);
    this.#inner = inner;
    this.#prefix = `${namespace}.`;
  }

  get kind(): Transport['kind'] { return this.#inner.kind; }

  #wire = (topic: string): string => `${this.#prefix}${topic}`;
  #logical = (topic: string): string => (topic.startsWith(this.#prefix) ? topic.slice(this.#prefix.length) : topic);

  publish(records: Parameters<Transport['publish']>[0]): Promise<void> {
    return this.#inner.publish(records.map((record) => ({ ...record, topic: this.#wire(record.topic) })));
  }

  #logicalRecord(record: IncomingRecord): IncomingRecord {
    return { ...record, topic: this.#logical(record.topic) };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const { batchHandler } = options;
    const inner = await this.#inner.subscribe({
      ...options, groupId: this.#wire(options.groupId), topics: options.topics.map(this.#wire),
      handler: (record: IncomingRecord, signal) => options.handler(this.#logicalRecord(record), signal),
      ...(batchHandler ? {
        // The subscriber's scope calls name its records; the inner adapter's scope wants the wire records back.
        batchHandler: (records, signal, scope) => {
          const wireOf = new Map(records.map((record) => [this.#logicalRecord(record), record] as const));
          return batchHandler([...wireOf.keys()], signal, (record, work) => scope(wireOf.get(record) ?? record, work));
        },
      } : {}),
    });
    return {
      groupId: options.groupId,
      assignments: () => inner.assignments().map((assignment) => ({ ...assignment, topic: this.#logical(assignment.topic) })),
      close: (closeOptions) => inner.close(closeOptions),
    };
  }

  ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    return this.#inner.ensureTopics(specs.map((spec) => ({ ...spec, name: this.#wire(spec.name) })));
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, number>> {
    const described = await this.#inner.describeTopics(names.map(this.#wire));
    return new Map([...described].map(([name, partitions]) => [this.#logical(name), partitions]));
  }

  async lag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const lag = await this.#inner.lag(this.#wire(groupId), topics.map(this.#wire));
    return lag.map((entry) => ({ ...entry, topic: this.#logical(entry.topic) }));
  }

  ping(): Promise<boolean> { return this.#inner.ping(); }
  close(): Promise<void> { return this.#inner.close(); }
}
