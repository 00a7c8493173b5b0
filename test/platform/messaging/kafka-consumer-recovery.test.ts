import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KafkaSubscription } from '../../../src/platform/messaging/kafka/kafka-subscription.ts';
import { KafkaTransport } from '../../../src/platform/messaging/kafka/kafka-transport.ts';
import { DedicatedBroker } from '../../support/dedicated-broker.ts';
import { eventually, uniqueName } from '../../support/env.ts';

// Its own broker (client port 19292, controller 19293: clear of the shared broker and of the outbox
// restart test's 19092–19093): this test stops it for longer than the client retries a fetch.
const broker = new DedicatedBroker(19292);
let transport: KafkaTransport;

before(() => {
  broker.start();
  transport = new KafkaTransport({ brokers: broker.brokers, clientId: uniqueName('recovery'), sessionTimeoutMs: 6_000 });
});

after(async () => {
  await transport.close();
  broker.stop();
});

const records = (label: string, count: number) => Array.from({ length: count }, (_, index) => ({
  topic: 'recovery', key: `key-${index % 3}`, value: Buffer.from(`${label}-${index}`), headers: {},
}));

test('a consumer outlives a broker outage longer than the client\'s own retries: it is replaced and resumes from its committed offsets', async () => {
  await transport.ensureTopics([{ name: 'recovery', partitions: 3, replicationFactor: 1 }]);
  const seen: string[] = [];
  const subscription = await transport.subscribe({ groupId: uniqueName('group'), topics: ['recovery'], handler: async (record) => { seen.push(record.value.toString()); } });
  try {
    await transport.publish(records('before', 30));
    await eventually('the records sent before the outage', () => seen.length >= 30, 60_000);

    broker.stopNode();
    // The client's fetch and metadata retries run out well within this; it then destroys its message stream.
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    broker.startNode();

    await eventually('a publish once the broker is back', async () => { await transport.publish(records('after', 30)); return true; }, 60_000);
    await eventually('the records sent after the outage', () => seen.filter((value) => value.startsWith('after-')).length >= 30, 90_000);
    const distinct = new Set(seen);
    console.log(`# consumer recovery: delivered ${seen.length}, distinct ${distinct.size} of 60, recoveries ${subscription instanceof KafkaSubscription ? subscription.recoveries : '?'}`);
    for (const label of ['before', 'after']) {
      for (let index = 0; index < 30; index += 1) assert.ok(distinct.has(`${label}-${index}`), `${label}-${index} delivered`);
    }
    assert.ok(subscription instanceof KafkaSubscription);
    assert.ok(subscription.recoveries >= 1, 'the failed stream was replaced (not merely retried by the client)');
  } finally {
    await subscription.close({ timeoutMs: 2_000 });
  }
});

test('a subscription started while its broker is away joins once the broker is back (its first join is retried, not thrown)', async () => {
  await transport.ensureTopics([{ name: 'recovery', partitions: 3, replicationFactor: 1 }]);
  broker.stopNode();
  const seen: string[] = [];
  const subscribing = transport.subscribe({ groupId: uniqueName('group'), topics: ['recovery'], handler: async (record) => { seen.push(record.value.toString()); } });
  let settled = false;
  void subscribing.then(() => { settled = true; }, () => { settled = true; });
  // Longer than the client's own retries of a join (4 tries of findGroupCoordinator, about 15 s against
  // a closed port, measured): they alone gave up and subscribe() threw before the join was retried.
  await new Promise((resolve) => setTimeout(resolve, 25_000));
  assert.equal(settled, false, 'still trying to join while the broker is away');
  broker.startNode();
  const subscription = await subscribing;
  try {
    await eventually('a publish once the broker is back', async () => { await transport.publish(records('late', 9)); return true; }, 60_000);
    await eventually('the records sent after the late join', () => seen.filter((value) => value.startsWith('late-')).length >= 9, 90_000);
  } finally {
    await subscription.close({ timeoutMs: 2_000 });
  }
});
