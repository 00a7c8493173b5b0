import type { Envelope } from '../../src/contracts/envelope.ts';
import { envelopeRecord } from '../../src/platform/messaging/envelope-record.ts';
import { paysagaTopicSpecs } from '../../src/platform/messaging/topic-specs.ts';
import { InProcessTransport } from '../../src/platform/messaging/in-process/in-process-transport.ts';
import { KafkaTransport } from '../../src/platform/messaging/kafka/kafka-transport.ts';
import { NamespacedTransport } from '../../src/platform/messaging/namespaced-transport.ts';
import type { IncomingRecord, Subscription, Transport } from '../../src/platform/messaging/transport.ts';
import { OutboxRelay } from '../../src/platform/outbox/outbox-relay.ts';
import { freshSchema, type TestSchema } from './database.ts';
import { kafkaBrokers, postgresUrl, uniqueName } from './env.ts';
import { openScoped, type OpenScope } from './open-scope.ts';

export type Stack = 'kafka+postgres' | 'in-process+pglite';
export const STACKS: readonly Stack[] = ['kafka+postgres', 'in-process+pglite'];

export interface Pipeline extends TestSchema {
  transport: Transport;
  /** The Kafka namespace of its topics and groups (null in process): a helper process joins it through PAYSAGA_NAMESPACE. */
  namespace: string | null;
  relay: OutboxRelay;
  /** Appends an envelope straight to a topic (as another service's relay would). */
  send(topic: string, envelope: Envelope): Promise<void>;
  /** Everything appended to `topic` from now on (and before), collected by a private group. */
  tap(topic: string): Promise<IncomingRecord[]>;
  close(): Promise<void>;
}

/** A transport, a fresh schema with the platform tables, every paysaga topic, and a running relay. */
export function openPipeline(stack: Stack, options: { brokers?: string[] } = {}): Promise<Pipeline> {
  return openScoped((scope) => openIn(scope, stack, options));
}

async function openIn(scope: OpenScope, stack: Stack, options: { brokers?: string[] }): Promise<Pipeline> {
  // A namespace of its own: test files run two at a time, and on shared topics one file's records (poison among
  // them) reached another file's groups and its dead letters.
  const namespace = stack === 'kafka+postgres' ? uniqueName('pipe') : null;
  const transport: Transport = scope.track(namespace !== null
    ? new NamespacedTransport(new KafkaTransport({ brokers: options.brokers ?? kafkaBrokers(), clientId: uniqueName('test'), sessionTimeoutMs: 6_000 }), namespace)
    : new InProcessTransport(), (opened) => opened.close());
  await transport.ensureTopics(paysagaTopicSpecs({ partitions: 3, replicationFactor: 1, minInsyncReplicas: null }));
  const schema = scope.track(await freshSchema(stack === 'kafka+postgres' ? postgresUrl() : 'pglite://memory'), (opened) => opened.drop());
  const relay = new OutboxRelay({ db: schema.database.db, schema: schema.schema, transport, pollIntervalMs: 50 });
  relay.start();
  const taps: Subscription[] = [];
  return {
    ...schema, transport, namespace, relay,
    send: (topic, envelope) => transport.publish([envelopeRecord(topic, envelope)]),
    async tap(topic) {
      const seen: IncomingRecord[] = [];
      taps.push(await transport.subscribe({ groupId: uniqueName('tap'), topics: [topic], handler: async (record) => { seen.push(record); } }));
      return seen;
    },
    async close() {
      await relay.stop(2_000);
      await Promise.all(taps.map((tap) => tap.close({ timeoutMs: 1_000 })));
      await transport.close();
      await schema.drop();
    },
  };
}
