import { Gauge, type Registry } from 'prom-client';
import type { PartitionLag, Transport } from '../messaging/transport.ts';
import type { ScrapeSource } from './scrape-source.ts';

/** A consumer group this process runs, watched whether or not its subscription is up (a stopped consumer's lag is the point). */
export interface WatchedConsumer {
  group: string;
  transport: Transport;
  /** Its topics, delayed-retry topics included. */
  topics(): readonly string[];
  /** Whether its subscription is up (readiness). */
  running(): boolean;
}

const isRetryTopic = (topic: string): boolean => topic.endsWith('.retry');

/**
 * Consumer lag per group, topic and partition (committed offset against the
 * end offset: the admin client on Kafka, the log itself in-process), and the
 * delayed-retry backlog (the same on `<topic>.retry`, where records wait for
 * their due time on purpose, so they are kept out of the lag).
 */
export function registerLagGauges(registry: Registry, lagOf: () => readonly { consumer: WatchedConsumer; source: ScrapeSource<PartitionLag[]> }[]): void {
  const registers = [registry];
  const each = async (visit: (group: string, lag: PartitionLag) => void): Promise<void> => {
    const results = await Promise.all(lagOf().map(async ({ consumer, source }) => ({ group: consumer.group, lag: await source.get() })));
    for (const { group, lag } of results) for (const entry of lag ?? []) visit(group, entry);
  };
  new Gauge({
    name: 'paysaga_consumer_lag', help: 'Records on a partition not yet committed by the group (end offset minus committed offset)',
    labelNames: ['group', 'topic', 'partition'], registers,
    async collect() {
      this.reset();
      await each((group, entry) => { if (!isRetryTopic(entry.topic)) this.set({ group, topic: entry.topic, partition: String(entry.partition) }, Number(entry.lag)); });
    },
  });
  new Gauge({
    name: 'paysaga_delayed_retry_backlog', help: 'Records waiting on a delayed-retry topic for the group, by original topic',
    labelNames: ['group', 'topic'], registers,
    async collect() {
      this.reset();
      const totals = new Map<string, { group: string; topic: string; count: number }>();
      await each((group, entry) => {
        if (!isRetryTopic(entry.topic)) return;
        const topic = entry.topic.slice(0, -'.retry'.length);
        const key = `${group}\u0000${topic}`;
        const total = totals.get(key) ?? { group, topic, count: 0 };
        total.count += Number(entry.lag);
        totals.set(key, total);
      });
      for (const { group, topic, count } of totals.values()) this.set({ group, topic }, count);
    },
  });
}
