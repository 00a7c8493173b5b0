import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { eventually } from '../../support/env.ts';
import { transportContract } from './transport-contract.ts';

transportContract('in-process', async () => new InProcessTransport());

/**
 * Embedded mode's memory: the in-process log drops what every group reading a topic has committed, once older than
 * the retention (0 here), and never a record a group still needs.
 */
test('the in-process log keeps only what a consuming group still needs', { timeout: 60_000 }, async () => {
  const transport = new InProcessTransport({ retentionMs: 0 });
  await transport.ensureTopics([{ name: 'retention', partitions: 1, replicationFactor: 1 }]);
  const publish = (from: number, count: number) => transport.publish(Array.from({ length: count }, (_, index) =>
    ({ topic: 'retention', key: 'k', value: Buffer.from(String(from + index)), headers: {} })));
  let fastSeen = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const slowSeen: string[] = [];
  const fast = await transport.subscribe({ groupId: 'fast', topics: ['retention'], handler: async () => { fastSeen += 1; } });
  const slow = await transport.subscribe({ groupId: 'slow', topics: ['retention'], handler: async (record) => {
    await gate;
    slowSeen.push(record.value.toString());
  } });
  await publish(0, 2_500);
  await eventually('the fast group has all', () => fastSeen === 2_500);
  // The slow group still needs record 0: nothing may be dropped for it.
  const fresh: string[] = [];
  const late = await transport.subscribe({ groupId: 'late', topics: ['retention'], handler: async (record) => { fresh.push(record.value.toString()); } });
  await eventually('a new group reads from the start', () => fresh.length === 2_500);
  assert.equal(fresh[0], '0');
  release();
  await eventually('the slow group has every record, in order', () => slowSeen.length === 2_500);
  assert.deepEqual(slowSeen.slice(0, 3), ['0', '1', '2']);
  await late.close();
  await publish(2_500, 1_000);
  await eventually('both groups have the rest', () => fastSeen === 3_500 && slowSeen.length === 3_500);
  await publish(3_500, 1_000);
  await eventually('both groups have all', () => fastSeen === 4_500 && slowSeen.length === 4_500);
  // Everything before the last trim was committed by both (the late group has no member): dropped.
  const newcomer: string[] = [];
  const after = await transport.subscribe({ groupId: 'newcomer', topics: ['retention'], handler: async (record) => { newcomer.push(record.value.toString()); } });
  await eventually('the newcomer reads what is kept', () => newcomer.includes('4499'));
  assert.ok(newcomer.length < 4_500 && Number(newcomer[0]) > 0, `the log kept ${newcomer.length} records, from ${newcomer[0]}`);
  const [lag] = await transport.lag('fast', ['retention']);
  assert.equal(lag?.endOffset, 4_500n, 'offsets are not renumbered');
  await Promise.all([fast.close(), slow.close(), after.close()]);
});
