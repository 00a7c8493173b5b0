import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createResiliencePolicy, isAttemptTimeout, isBreakerOpen } from '../../../src/platform/resilience/resilience-policy.ts';

class Retryable extends Error {}
class Answer extends Error {}

const options = {
  timeoutMs: 100, maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5, breakerThreshold: 4, halfOpenAfterMs: 80,
  isRetryable: (error: unknown) => error instanceof Retryable,
};

test('retries retryable errors only, numbering the attempts', async () => {
  const policy = createResiliencePolicy(options);
  const seen: number[] = [];
  const value = await policy.execute(async ({ attempt }) => {
    seen.push(attempt);
    if (attempt < 3) throw new Retryable('flaky');
    return 'ok';
  });
  assert.equal(value, 'ok');
  assert.deepEqual(seen, [1, 2, 3]);
  let answers = 0;
  await assert.rejects(policy.execute(async () => { answers += 1; throw new Answer('declined'); }), Answer);
  assert.equal(answers, 1, 'an answer is never retried');
});

test('an attempt past its timeout is abandoned and retried', async () => {
  const policy = createResiliencePolicy({ ...options, timeoutMs: 30 });
  let calls = 0;
  const value = await policy.execute(async ({ signal }) => {
    calls += 1;
    if (calls === 1) await new Promise((resolve) => { const timer = setTimeout(resolve, 1_000); signal.addEventListener('abort', () => { clearTimeout(timer); resolve(undefined); }); });
    return calls;
  });
  assert.equal(value, 2);
  const failing = createResiliencePolicy({ ...options, timeoutMs: 20, maxAttempts: 1 });
  await assert.rejects(failing.execute(() => new Promise(() => undefined)), (error) => isAttemptTimeout(error));
});

test('the breaker opens after consecutive retryable failures, fails fast, then half-opens and closes', async () => {
  const policy = createResiliencePolicy({ ...options, maxAttempts: 1 });
  const states: string[] = [];
  policy.onBreakerChange((state) => states.push(state));
  for (let index = 0; index < 4; index += 1) await assert.rejects(policy.execute(async () => { throw new Retryable('down'); }), Retryable);
  assert.equal(policy.breakerState, 'open');
  let called = false;
  await assert.rejects(policy.execute(async () => { called = true; }), (error) => isBreakerOpen(error));
  assert.equal(called, false, 'fail fast: nothing attempted');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await policy.execute(async () => 'back'), 'back');
  assert.equal(policy.breakerState, 'closed');
  assert.deepEqual(states, ['open', 'half-open', 'closed']);
  // Declines do not open it.
  for (let index = 0; index < 10; index += 1) await assert.rejects(policy.execute(async () => { throw new Answer('no'); }), Answer);
  assert.equal(policy.breakerState, 'closed');
});
