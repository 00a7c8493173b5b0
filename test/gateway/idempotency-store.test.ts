import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdempotencyStore } from '../../src/gateway/simulator/idempotency-store.ts';

const answer = { status: 200, body: '{}', requestId: 'req_1' };

test('a key older than the TTL is treated as new', () => {
  let now = 0;
  const store = new IdempotencyStore({ ttlMs: 1_000, now: () => now });
  assert.equal(store.claim('sk_test_a', 'k', 'POST /v1/refunds', 'p').kind, 'claimed');
  store.complete('sk_test_a', 'k', answer);
  now = 999;
  assert.equal(store.claim('sk_test_a', 'k', 'POST /v1/refunds', 'p').kind, 'replay');
  now = 1_001;
  assert.equal(store.claim('sk_test_a', 'k', 'POST /v1/refunds', 'other').kind, 'claimed');
});

test('beyond the cap the oldest finished keys are forgotten, never one still executing', () => {
  const store = new IdempotencyStore({ maxEntries: 2 });
  store.claim('sk_test_a', 'executing', 'POST /v1/payment_intents', 'p');
  store.claim('sk_test_a', 'b', 'POST /v1/payment_intents', 'p');
  store.complete('sk_test_a', 'b', answer);
  store.claim('sk_test_a', 'c', 'POST /v1/payment_intents', 'p');
  assert.equal(store.claim('sk_test_a', 'executing', 'POST /v1/payment_intents', 'p').kind, 'in-use');
  store.complete('sk_test_a', 'executing', answer);
  store.complete('sk_test_a', 'c', answer);
  store.claim('sk_test_a', 'd', 'POST /v1/payment_intents', 'p');
  assert.equal(store.claim('sk_test_a', 'c', 'POST /v1/payment_intents', 'p').kind, 'replay');
  assert.equal(store.claim('sk_test_a', 'executing', 'POST /v1/payment_intents', 'p').kind, 'claimed', 'the oldest was forgotten');
});

test('release forgets only a key that is still executing', () => {
  const store = new IdempotencyStore();
  store.claim('sk_test_a', 'k', 'POST /v1/refunds', 'p');
  store.complete('sk_test_a', 'k', answer);
  store.release('sk_test_a', 'k');
  assert.equal(store.claim('sk_test_a', 'k', 'POST /v1/refunds', 'p').kind, 'replay');
});
