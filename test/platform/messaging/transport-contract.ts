import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { partitionForKey } from '../../../src/platform/messaging/partitioner.ts';
import type { IncomingRecord, Subscription, Transport } from '../../../src/platform/messaging/transport.ts';
import { eventually, uniqueName } from '../../support/env.ts';

/**
 * One suite, two adapters: the in-process transport is held to the same
 * semantics as Kafka by running exactly these tests against both.
 */
export function transportContract(adapter: string, open: () => Promise<Transport>): void {
  describe(`transport contract: ${adapter}`, () => {
    let transport: Transport;
    const subscriptions: Subscription[] = [];
    before(async () => { transport = await open(); });
    after(async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.close({ timeoutMs: 1_000 })));
      await transport.close();
    });

    async function topicWith(partitions = 3): Promise<string> {
      const topic = uniqueName('contract');
      await transport.ensureTopics([{ name: topic, partitions, replicationFactor: 1 }]);
      return topic;
    }

    const record = (topic: string, key: string, value: string) => ({ topic, key, value: Buffer.from(value), headers: { h: value } });

    async function collect(groupId: string, topics: string[], sink: IncomingRecord[], handler?: (record: IncomingRecord, signal: AbortSignal) => Promise<void>): Promise<Subscription> {
      const subscription = await transport.subscribe({
        groupId, topics, handler: async (incoming, signal) => {
          await handler?.(incoming, signal);
          sink.push(incoming);
        },
      });
      subscriptions.push(subscription);
      return subscription;
    }

    test('creates topics idempotently with the configured partition count', async () => {
      const topic = uniqueName('contract');
      await transport.ensureTopics([{ name: topic, partitions: 4, replicationFactor: 1 }]);
      await transport.ensureTopics([{ name: topic, partitions: 4, replicationFactor: 1 }]);
      assert.equal((await transport.describeTopics([topic, uniqueName('absent')])).get(topic), 4);
      assert.equal((await transport.describeTopics([topic])).size, 1);
    });

    test('puts every record of a key on the Kafka-compatible partition, in order, with headers', async () => {
      const topic = await topicWith();
      const keys = ['order-a', 'order-b', 'order-c', 'order-d', 'order-e'];
      await transport.publish(keys.flatMap((key) => Array.from({ length: 6 }, (_, index) => record(topic, key, `${key}#${index}`))));
      const received: IncomingRecord[] = [];
      await collect(uniqueName('g'), [topic], received);
      await eventually('30 records', () => received.length === 30);
      for (const key of keys) {
        const ofKey = received.filter((incoming) => incoming.key === key);
        assert.deepEqual(ofKey.map((incoming) => incoming.value.toString()), Array.from({ length: 6 }, (_, index) => `${key}#${index}`));
        assert.ok(ofKey.every((incoming) => incoming.partition === partitionForKey(key, 3)), `${key} on one partition`);
        assert.equal(ofKey[0]?.headers.h, `${key}#0`);
      }
    });

    test('shares partitions between the members of one group, each record handled once', async () => {
      const topic = await topicWith();
      const groupId = uniqueName('g');
      const received: IncomingRecord[] = [];
      const first = await collect(groupId, [topic], received);
      const second = await collect(groupId, [topic], received);
      await eventually('both members own partitions', () => first.assignments().length > 0 && second.assignments().length > 0
        && first.assignments().length + second.assignments().length === 3, 45_000);
      const owned = [...first.assignments(), ...second.assignments()].map(({ partition }) => partition).sort();
      assert.deepEqual(owned, [0, 1, 2]);
      await transport.publish(Array.from({ length: 60 }, (_, index) => record(topic, `k${index}`, String(index))));
      await eventually('60 records', () => received.length >= 60);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(new Set(received.map((incoming) => incoming.value.toString())).size, 60);
      assert.equal(received.length, 60);
    });

    test('resumes after the committed offset; a new group starts at the earliest record', async () => {
      const topic = await topicWith();
      const groupId = uniqueName('g');
      await transport.publish(Array.from({ length: 10 }, (_, index) => record(topic, 'same-key', `a${index}`)));
      const firstRun: IncomingRecord[] = [];
      const subscription = await collect(groupId, [topic], firstRun);
      await eventually('first 10', () => firstRun.length === 10);
      await subscription.close();
      await transport.publish(Array.from({ length: 5 }, (_, index) => record(topic, 'same-key', `b${index}`)));
      const secondRun: IncomingRecord[] = [];
      await collect(groupId, [topic], secondRun);
      await eventually('next 5', () => secondRun.length === 5);
      assert.deepEqual(secondRun.map((incoming) => incoming.value.toString()), ['b0', 'b1', 'b2', 'b3', 'b4']);
      const freshGroup: IncomingRecord[] = [];
      await collect(uniqueName('g'), [topic], freshGroup);
      await eventually('all 15 from the start', () => freshGroup.length === 15);
    });

    test('retries a rejected handler in place: nothing skipped, order kept', async () => {
      const topic = await topicWith(1);
      await transport.publish(Array.from({ length: 5 }, (_, index) => record(topic, 'k', String(index))));
      let failuresLeft = 2;
      const received: IncomingRecord[] = [];
      await collect(uniqueName('g'), [topic], received, async (incoming) => {
        if (incoming.value.toString() === '2' && failuresLeft-- > 0) throw new Error('transient');
      });
      await eventually('5 records', () => received.length === 5);
      assert.deepEqual(received.map((incoming) => incoming.value.toString()), ['0', '1', '2', '3', '4']);
      assert.equal(failuresLeft, -1);
    });

    test('redelivers a record whose handler never finished to the next owner', async () => {
      const topic = await topicWith(1);
      const groupId = uniqueName('g');
      await transport.publish([record(topic, 'k', 'stuck'), record(topic, 'k', 'next')]);
      let started = false;
      const crashed = await collect(groupId, [topic], [], async (_incoming, signal) => {
        started = true;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        throw new Error('member went away mid-record');
      });
      await eventually('stuck record started', () => started);
      await crashed.close({ timeoutMs: 200 });
      const received: IncomingRecord[] = [];
      await collect(groupId, [topic], received);
      await eventually('both records', () => received.length === 2);
      assert.deepEqual(received.map((incoming) => incoming.value.toString()), ['stuck', 'next']);
    });

    async function collectRuns(
      groupId: string, topics: string[], runs: string[][], maxBatch: number,
      handler?: (records: readonly IncomingRecord[], signal: AbortSignal) => Promise<void>,
    ): Promise<Subscription> {
      const subscription = await transport.subscribe({
        groupId, topics, maxBatch,
        handler: async () => { throw new Error('a batch subscriber is handed runs, never single records'); },
        batchHandler: async (records, signal, scope) => {
          await handler?.(records, signal);
          // The scope runs each record's share; the adapter's own adds nothing but must run the work.
          for (const incoming of records) assert.equal(await scope(incoming, async () => incoming.value.toString()), incoming.value.toString());
          runs.push(records.map((incoming) => incoming.value.toString()));
        },
      });
      subscriptions.push(subscription);
      return subscription;
    }

    test('hands a batch handler runs of what a partition has waiting: in order, none twice, at most maxBatch', async () => {
      const topic = await topicWith(1);
      const values = Array.from({ length: 50 }, (_, index) => String(index));
      await transport.publish(values.map((value) => record(topic, 'k', value)));
      const runs: string[][] = [];
      let calls = 0;
      // The first run is held a moment, so what follows it is waiting when the next run is taken.
      await collectRuns(uniqueName('g'), [topic], runs, 20, async () => { if (calls++ === 0) await new Promise((resolve) => setTimeout(resolve, 200)); });
      await eventually('50 records', () => runs.flat().length >= 50);
      assert.deepEqual(runs.flat(), values);
      assert.ok(runs.every((run) => run.length >= 1 && run.length <= 20), `runs of 1..20: ${runs.map((run) => run.length).join(',')}`);
      assert.ok(runs.length < values.length, `records waiting were handed together (${runs.length} runs)`);
    });

    test('retries a rejected run in place as the same run; a run that never finished is redelivered whole', async () => {
      const topic = await topicWith(1);
      const groupId = uniqueName('g');
      await transport.publish(['a', 'b', 'c'].map((value) => record(topic, 'k', value)));
      const attempts: string[][] = [];
      let started = false;
      const crashed = await collectRuns(groupId, [topic], [], 100, async (records, signal) => {
        attempts.push(records.map((incoming) => incoming.value.toString()));
        if (attempts.length === 1) throw new Error('transient');
        started = true;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        throw new Error('member went away mid-run');
      });
      await eventually('retried run started', () => started);
      assert.deepEqual(attempts[1], attempts[0], 'the retry is the same run');
      await crashed.close({ timeoutMs: 200 });
      await transport.publish([record(topic, 'k', 'd')]);
      const runs: string[][] = [];
      await collectRuns(groupId, [topic], runs, 100);
      await eventually('all four', () => runs.flat().length === 4);
      assert.deepEqual(runs.flat(), ['a', 'b', 'c', 'd']);
    });

    test('a batch handler that handles only a prefix gets the rest next: in order, none lost, none twice', async () => {
      const topic = await topicWith(1);
      const values = Array.from({ length: 12 }, (_, index) => String(index));
      await transport.publish(values.map((value) => record(topic, 'k', value)));
      const handled: string[] = [];
      const subscription = await transport.subscribe({
        groupId: uniqueName('g'), topics: [topic], maxBatch: 5,
        handler: async () => { throw new Error('a batch subscriber is handed runs, never single records'); },
        // Handles at most two of each run, then says so.
        batchHandler: async (records) => {
          const taken = records.slice(0, 2);
          handled.push(...taken.map((incoming) => incoming.value.toString()));
          return taken.length;
        },
      });
      subscriptions.push(subscription);
      await eventually('all 12', () => handled.length >= 12);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(handled, values);
    });

    test('reports lag per partition', async () => {
      const topic = await topicWith(1);
      await transport.publish(Array.from({ length: 4 }, (_, index) => record(topic, 'k', String(index))));
      const lag = await transport.lag(uniqueName('g'), [topic]);
      assert.equal(lag.length, 1);
      assert.equal(lag[0]?.endOffset, 4n);
      assert.equal(lag[0]?.lag, 4n);
    });
  });
}
