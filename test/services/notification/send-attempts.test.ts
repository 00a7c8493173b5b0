import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_SEND_SCHEDULE, judgeAttempt, retryDelay, type SendSchedule } from '../../../src/services/notification/domain/send-attempts.ts';

const schedule: SendSchedule = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 10_000 };
const failure = { ok: false, error: 'channel down' } as const;

describe('notification send attempts', () => {
  test('a successful attempt is sent, whichever attempt it was', () => {
    for (let attempt = 1; attempt <= 7; attempt += 1) assert.deepEqual(judgeAttempt(attempt, { ok: true }, schedule), { status: 'sent' });
  });

  test('failed attempts 1..4 stay pending with doubling, capped delays; the 5th is final', () => {
    const verdicts = [1, 2, 3, 4, 5, 6].map((attempt) => judgeAttempt(attempt, failure, schedule));
    assert.deepEqual(verdicts, [
      { status: 'pending', error: 'channel down', retryInMs: 1_000 },
      { status: 'pending', error: 'channel down', retryInMs: 2_000 },
      { status: 'pending', error: 'channel down', retryInMs: 4_000 },
      { status: 'pending', error: 'channel down', retryInMs: 8_000 },
      { status: 'failed', error: 'channel down' },
      { status: 'failed', error: 'channel down' },
    ]);
  });

  test('one attempt allowed: the first failure is final', () => {
    assert.deepEqual(judgeAttempt(1, failure, { ...schedule, maxAttempts: 1 }), { status: 'failed', error: 'channel down' });
  });

  test('defaults: 5 attempts, 1 s doubling to at most 60 s', () => {
    assert.deepEqual(DEFAULT_SEND_SCHEDULE, { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 60_000 });
  });

  test('property: delays never shrink, never exceed the cap, and every failure sequence ends failed after maxAttempts', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 100_000 }), (maxAttempts, initialDelayMs, maxDelayMs) => {
      const rule = { maxAttempts, initialDelayMs, maxDelayMs };
      let previous = 0;
      for (let attempt = 1; attempt <= 12; attempt += 1) {
        const delay = retryDelay(attempt, rule);
        assert.ok(delay >= previous && delay <= maxDelayMs);
        previous = delay;
        const verdict = judgeAttempt(attempt, failure, rule);
        assert.equal(verdict.status, attempt >= maxAttempts ? 'failed' : 'pending');
      }
    }));
  });
});
