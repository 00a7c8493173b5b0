import { randomBytes } from 'node:crypto';
import { Admin, Consumer, ProduceAcks, Producer, compatibilityPartitioner, stringSerializer } from '@platformatic/kafka';
import { sql } from 'kysely';
import { openDatabase } from '../../platform/database/database.ts';
import { fallbackLogger } from '../../platform/observability/logger.ts';

export interface PostgresCeiling {
  clients: number;
  seconds: number;
  commits: number;
  commitsPerSecond: number;
}

/**
 * PostgreSQL's commit rate with paysaga's own driver (pg pool under Kysely):
 * `clients` connections, each committing one-row insert transactions
 * (autocommit) back to back for `seconds`, in a scratch table dropped afterwards.
 */
export async function postgresCeiling(databaseUrl: string, options: { clients: number; seconds: number }): Promise<PostgresCeiling> {
  const database = await openDatabase({ url: databaseUrl, maxConnections: options.clients, logger: fallbackLogger() });
  const table = `paysaga_bench_ceiling_${randomBytes(4).toString('hex')}`;
  const { db } = database;
  try {
    await sql`CREATE TABLE ${sql.table(table)} (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now())`.execute(db);
    const payload = 'x'.repeat(100);
    // Connections opened before the clock starts.
    await Promise.all(Array.from({ length: options.clients }, () => sql`SELECT 1`.execute(db)));
    let commits = 0;
    const started = performance.now();
    const end = started + options.seconds * 1_000;
    await Promise.all(Array.from({ length: options.clients }, async () => {
      while (performance.now() < end) {
        // One statement outside BEGIN/COMMIT is one transaction in one round trip: the fastest commit there is.
        await sql`INSERT INTO ${sql.table(table)} (payload) VALUES (${payload})`.execute(db);
        commits += 1;
      }
    }));
    const seconds = (performance.now() - started) / 1_000;
    return { clients: options.clients, seconds: round(seconds), commits, commitsPerSecond: round(commits / seconds) };
  } finally {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
    await database.close();
  }
}

export interface KafkaCeiling {
  records: number;
  recordBytes: number;
  partitions: number;
  producePerSecond: number;
  consumePerSecond: number;
}

/**
 * Raw Kafka with paysaga's own client (@platformatic/kafka): `records`
 * records of `recordBytes` produced idempotently with acks=all (as the
 * transport does), several batches in flight, then consumed from the start by
 * one consumer; on a scratch topic deleted afterwards.
 */
export async function kafkaCeiling(brokers: string[], options: { records: number; recordBytes?: number; partitions?: number }): Promise<KafkaCeiling> {
  const recordBytes = options.recordBytes ?? 400;
  const partitions = options.partitions ?? 3;
  const topic = `paysaga-bench-ceiling-${randomBytes(4).toString('hex')}`;
  const admin = new Admin({ bootstrapBrokers: brokers, clientId: 'paysaga-bench-ceiling-admin' });
  await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  const producer = new Producer({
    bootstrapBrokers: brokers, clientId: 'paysaga-bench-ceiling-producer', idempotent: true, acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner, serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });
  const consumer = new Consumer({ bootstrapBrokers: brokers, clientId: 'paysaga-bench-ceiling-consumer', groupId: `${topic}-reader`, autocommit: false, maxWaitTime: 200 });
  try {
    await waitForTopic(admin, topic);
    const value = randomBytes(recordBytes);
    const batch = 200;
    const inFlight = 16;
    let next = 0;
    // Warms the connection and the producer id before the clock starts.
    await producer.send({ messages: [{ topic, key: 'warm', value }] });
    const produceStarted = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < options.records) {
        const from = next;
        next = Math.min(options.records, next + batch);
        await producer.send({ messages: Array.from({ length: next - from }, (_, index) => ({ topic, key: `k${from + index}`, value })) });
      }
    }));
    const produceSeconds = (performance.now() - produceStarted) / 1_000;
    const total = options.records + 1;
    const consumeStarted = performance.now();
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(() => reject(new Error(`consumed ${seen} of ${total} records within 120 s`)), 120_000);
      stream.on('data', () => { seen += 1; if (seen >= total) { clearTimeout(timer); resolve(); } });
      stream.on('error', (error: unknown) => { clearTimeout(timer); reject(error instanceof Error ? error : new Error(String(error))); });
    });
    const consumeSeconds = (performance.now() - consumeStarted) / 1_000;
    await stream.close();
    return { records: options.records, recordBytes, partitions, producePerSecond: round(options.records / produceSeconds), consumePerSecond: round(total / consumeSeconds) };
  } finally {
    await consumer.close(true);
    await producer.close();
    await admin.deleteTopics({ topics: [topic] });
    await admin.close();
  }
}

async function waitForTopic(admin: Admin, topic: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    if (metadata.topics.get(topic)?.partitionsCount) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topic ${topic} has no metadata after 5 s`);
}

const round = (value: number): number => Math.round(value * 10) / 10;
