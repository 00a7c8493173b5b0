import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SagaState } from '../../../src/platform/saga/saga-engine.ts';
import { SagaProgress } from '../../../src/services/saga/saga-progress.ts';

const running: SagaState = { status: 'RUNNING', data: { paymentId: null }, failureReason: null };
const paid: SagaState = { status: 'RUNNING', data: { paymentId: 'pay_1' }, failureReason: null };
const hasPayment = (state: SagaState): boolean => Boolean((state.data as { paymentId: string | null }).paymentId);

describe('SagaProgress: waiting for a saga without polling its row', () => {
  test('a waiter that knows the state it just committed reads nothing: the commit that records the payment wakes it', async () => {
    const progress = new SagaProgress();
    let reads = 0;
    const waiting = progress.waitFor('s1', { until: hasPayment, read: async () => { reads += 1; return running; }, timeoutMs: 60_000, fallbackMs: 60_000, known: running });
    await new Promise((resolve) => setImmediate(resolve));
    progress.committed('s2', () => paid); // another saga's commit does not wake it
    progress.committed('s1', () => running); // nor one of its own that does not satisfy it
    progress.committed('s1', () => paid);
    assert.deepEqual(await waiting, paid);
    assert.equal(reads, 0);
  });

  test('without a known state the table is read at once (the saga may be there already), then only at each fallback', async () => {
    const progress = new SagaProgress();
    let reads = 0;
    assert.deepEqual(await progress.waitFor('s1', { until: hasPayment, read: async () => { reads += 1; return paid; }, timeoutMs: 60_000 }), paid);
    assert.equal(reads, 1);
    reads = 0;
    const answers = [running, running, paid];
    const found = await progress.waitFor('s2', { until: hasPayment, read: async () => answers[Math.min(reads++, 2)], timeoutMs: 60_000, fallbackMs: 10, known: running });
    assert.deepEqual(found, paid);
    assert.equal(reads, 3, 'the known state replaced the first read; the fallbacks read the table');
  });

  test('past the timeout the last state seen is the answer; no waiter is left behind', async () => {
    const progress = new SagaProgress();
    const found = await progress.waitFor('s1', { until: hasPayment, read: async () => running, timeoutMs: 30, fallbackMs: 10, known: running });
    assert.deepEqual(found, running);
    let told = 0;
    progress.committed('s1', () => { told += 1; return paid; });
    assert.equal(told, 0, 'nobody waits for s1 any more, so its state is not even read');
  });
});
