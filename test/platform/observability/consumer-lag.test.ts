import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import type { Subscription, Transport } from '../../../src/platform/messaging/transport.ts';
import { PlatformMetrics } from '../../../src/platform/observability/platform-metrics.ts';
import { eventually, isolatedKafkaTransport } from '../../support/env.ts';
import { assertValidExposition, sampleValue } from '../../support/promtool.ts';

/** Sum of the lag gauge over a group's partitions of one topic, as Prometheus' sum by (group, topic) would. */
function lagOf(text: string, group: string, topic: string): number {
  return [0, 1, 2].reduce((sum, partition) => sum + (sampleValue(text, 'paysaga_consumer_lag', { group, topic, partition: String(partition) }) ?? Number.NaN), 0);
}

function lagScenario(kind: string, open: () => Promise<Transport>): void {
  test(`${kind}: with the consumer stopped the lag grows; restarted, it drains to 0`, { timeout: 180_000 }, async () => {
    const transport = await open();
    const topic = 'lag.events';
    const group = 'lag-reader';
    await transport.ensureTopics([{ name: topic, partitions: 3, replicationFactor: 1 }, { name: `${topic}.retry`, partitions: 3, replicationFactor: 1 }]);
    const metrics = new PlatformMetrics({ processMetrics: false });
    let subscription: Subscription | null = null;
    const subscribe = async () => transport.subscribe({ groupId: group, topics: [topic, `${topic}.retry`], handler: async () => undefined });
    metrics.watchConsumer({ group, transport, topics: () => [topic, `${topic}.retry`], running: () => subscription !== null });
    const publish = (count: number, prefix: string) => transport.publish(Array.from({ length: count }, (_, index) => ({ topic, key: `${prefix}-${index}`, value: Buffer.from('{}'), headers: {} })));
    try {
      subscription = await subscribe();
      await publish(5, 'first');
      await eventually('the running consumer keeps up', async () => lagOf(await metrics.render(), group, topic) === 0, 60_000);

      await subscription.close();
      subscription = null;
      assert.deepEqual(metrics.consumers(), [{ group, running: false }], 'a stopped consumer is reported (readiness)');
      await publish(7, 'while-stopped');
      await eventually('lag grows to what was published while stopped', async () => lagOf(await metrics.render(), group, topic) === 7, 60_000);
      await publish(4, 'still-stopped');
      await eventually('and keeps growing', async () => lagOf(await metrics.render(), group, topic) === 11, 60_000);
      const text = await metrics.render();
      assert.equal(sampleValue(text, 'paysaga_delayed_retry_backlog', { group, topic }), 0, 'the retry topic is its own gauge');
      assert.equal(sampleValue(text, 'paysaga_consumer_lag', { group, topic: `${topic}.retry`, partition: '0' }), undefined, 'and not part of the lag');
      await assertValidExposition(text, `a ${kind} consumer`);

      subscription = await subscribe();
      await eventually('restarted, the lag drains to 0', async () => lagOf(await metrics.render(), group, topic) === 0, 120_000);
    } finally {
      await subscription?.close();
      await transport.close();
    }
  });
}

describe('consumer lag per group, topic and partition', () => {
  lagScenario('in-process', () => Promise.resolve(new InProcessTransport()));
  lagScenario('Kafka', () => isolatedKafkaTransport('lag'));
});
