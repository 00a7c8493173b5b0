import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  PAYMENT_SIGNAL_TYPES, PAYMENT_STATUSES, refundableAmount, settle, transition,
  type GatewayOutcome, type PaymentSignal, type PaymentState, type PaymentStatus,
} from '../../../src/services/payment/domain/payment-machine.ts';

// The oracle, written out by hand from SPEC §4 (plus the two documented additions): status × signal → next status, or '-' for illegal.
const EXPECTED: Record<PaymentStatus, Record<string, PaymentStatus | '-'>> = {
  PENDING: { SUBMITTED: 'PROCESSING', SUCCEEDED: '-', FAILED: 'FAILED', CANCELLED: 'CANCELLED', REFUND_REQUESTED: '-', REFUND_SUCCEEDED: '-', REFUND_FAILED: '-' },
  PROCESSING: { SUBMITTED: '-', SUCCEEDED: 'COMPLETED', FAILED: 'FAILED', CANCELLED: 'CANCELLED', REFUND_REQUESTED: '-', REFUND_SUCCEEDED: '-', REFUND_FAILED: '-' },
  COMPLETED: { SUBMITTED: '-', SUCCEEDED: '-', FAILED: '-', CANCELLED: '-', REFUND_REQUESTED: 'COMPLETED', REFUND_SUCCEEDED: 'PARTIALLY_REFUNDED', REFUND_FAILED: 'COMPLETED' },
  FAILED: { SUBMITTED: '-', SUCCEEDED: '-', FAILED: '-', CANCELLED: '-', REFUND_REQUESTED: '-', REFUND_SUCCEEDED: '-', REFUND_FAILED: '-' },
  CANCELLED: { SUBMITTED: '-', SUCCEEDED: '-', FAILED: '-', CANCELLED: '-', REFUND_REQUESTED: '-', REFUND_SUCCEEDED: '-', REFUND_FAILED: '-' },
  PARTIALLY_REFUNDED: { SUBMITTED: '-', SUCCEEDED: '-', FAILED: '-', CANCELLED: '-', REFUND_REQUESTED: 'PARTIALLY_REFUNDED', REFUND_SUCCEEDED: 'PARTIALLY_REFUNDED', REFUND_FAILED: 'PARTIALLY_REFUNDED' },
  REFUNDED: { SUBMITTED: '-', SUCCEEDED: '-', FAILED: '-', CANCELLED: '-', REFUND_REQUESTED: '-', REFUND_SUCCEEDED: '-', REFUND_FAILED: '-' },
};

/** A state where a 100-unit refund step is possible whenever the status allows refunds at all. */
function stateIn(status: PaymentStatus): PaymentState {
  return { status, amount: 1_000, refunded: status === 'PARTIALLY_REFUNDED' ? 300 : 0, refundPending: 200 };
}

function signalOf(type: PaymentSignal['type']): PaymentSignal {
  return type.startsWith('REFUND_') ? { type, amount: 100 } : { type } as PaymentSignal;
}

describe('payment state machine', () => {
  for (const status of PAYMENT_STATUSES) {
    for (const type of PAYMENT_SIGNAL_TYPES) {
      const expected = EXPECTED[status][type];
      test(`${status} + ${type} → ${expected === '-' ? 'rejected' : expected}`, () => {
        const before = stateIn(status);
        const snapshot = structuredClone(before);
        const result = transition(before, signalOf(type));
        assert.deepEqual(before, snapshot, 'the input state is never mutated');
        if (expected === '-') {
          assert.equal(result.ok, false);
          if (!result.ok) assert.equal(result.rejection.code, 'illegal_transition');
          return;
        }
        assert.ok(result.ok);
        assert.equal(result.state.status, expected);
      });
    }
  }

  test('every lifecycle transition publishes exactly its seed event', () => {
    const cases: [PaymentStatus, PaymentSignal['type'], string][] = [
      ['PENDING', 'SUBMITTED', 'payment.processing'], ['PROCESSING', 'SUCCEEDED', 'payment.completed'],
      ['PROCESSING', 'FAILED', 'payment.failed'], ['PENDING', 'FAILED', 'payment.failed'],
      ['PENDING', 'CANCELLED', 'payment.cancelled'], ['PROCESSING', 'CANCELLED', 'payment.cancelled'],
      ['COMPLETED', 'REFUND_REQUESTED', 'payment.refund-initiated'], ['COMPLETED', 'REFUND_SUCCEEDED', 'payment.refunded'],
    ];
    for (const [status, type, event] of cases) {
      const result = transition(stateIn(status), signalOf(type));
      assert.ok(result.ok);
      assert.deepEqual(result.effects.map((effect) => effect.event), [event], `${status} + ${type}`);
    }
    const failed = transition(stateIn('COMPLETED'), { type: 'REFUND_FAILED', amount: 100 });
    assert.ok(failed.ok);
    assert.deepEqual(failed.effects, [{ type: 'publish', event: 'payment.refund-failed' }], 'a failed refund is announced, so a saga waiting for it ends');
  });

  test('a refund above what remains, or not a positive integer, is rejected', () => {
    const state: PaymentState = { status: 'PARTIALLY_REFUNDED', amount: 1_000, refunded: 600, refundPending: 300 };
    assert.equal(refundableAmount(state), 100);
    const tooMuch = transition(state, { type: 'REFUND_REQUESTED', amount: 101 });
    assert.ok(!tooMuch.ok);
    assert.deepEqual(tooMuch.rejection.code === 'refund_exceeds_remaining' && tooMuch.rejection.remaining, 100);
    for (const amount of [0, -5, 1.5, Number.NaN]) {
      const result = transition(state, { type: 'REFUND_REQUESTED', amount });
      assert.ok(!result.ok);
      assert.equal(result.rejection.code, 'invalid_refund_amount');
    }
    assert.ok(transition(state, { type: 'REFUND_REQUESTED', amount: 100 }).ok);
  });

  test('partial then full refund ends REFUNDED with the totals in the event', () => {
    let state: PaymentState = { status: 'COMPLETED', amount: 2_500, refunded: 0, refundPending: 0 };
    for (const amount of [1_000, 1_500]) {
      const requested = transition(state, { type: 'REFUND_REQUESTED', amount });
      assert.ok(requested.ok);
      const done = transition(requested.state, { type: 'REFUND_SUCCEEDED', amount });
      assert.ok(done.ok);
      state = done.state;
    }
    assert.deepEqual(state, { status: 'REFUNDED', amount: 2_500, refunded: 2_500, refundPending: 0 });
  });

  test('property: no sequence of refund signals ever refunds more than was captured', () => {
    const signal = fc.oneof(
      fc.record({ type: fc.constant('REFUND_REQUESTED' as const), amount: fc.integer({ min: -10, max: 700 }) }),
      fc.record({ type: fc.constant('REFUND_SUCCEEDED' as const), amount: fc.integer({ min: 1, max: 700 }) }),
      fc.record({ type: fc.constant('REFUND_FAILED' as const), amount: fc.integer({ min: 1, max: 700 }) }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 2_000 }), fc.array(signal, { maxLength: 40 }), (amount, signals) => {
      let state: PaymentState = { status: 'COMPLETED', amount, refunded: 0, refundPending: 0 };
      for (const next of signals) {
        const result = transition(state, next);
        if (result.ok) state = result.state;
        assert.ok(state.refunded + state.refundPending <= state.amount);
        assert.ok(state.refunded >= 0 && state.refundPending >= 0);
        assert.equal(state.status === 'REFUNDED', state.refunded === state.amount);
      }
    }));
  });

  test('settle: any order and repetition of gateway reports ends in the same state', () => {
    const outcomes: GatewayOutcome[] = ['awaiting', 'in_progress', 'succeeded', 'failed', 'cancelled'];
    const finalOf = (reports: GatewayOutcome[]): PaymentStatus => reports.reduce(
      (state, outcome) => settle(state, outcome).state, { status: 'PENDING', amount: 500, refunded: 0, refundPending: 0 } as PaymentState).status;
    fc.assert(fc.property(fc.array(fc.constantFrom('awaiting', 'in_progress', 'succeeded') as fc.Arbitrary<GatewayOutcome>, { maxLength: 8 }), (noise) => {
      // Whatever the noise around it, one `succeeded` report completes the payment, and it stays completed.
      assert.equal(finalOf([...noise, 'succeeded', ...noise.toReversed()]), 'COMPLETED');
    }));
    assert.equal(finalOf(['succeeded', 'in_progress', 'failed', 'cancelled', 'succeeded']), 'COMPLETED');
    assert.equal(finalOf(['failed', 'succeeded']), 'FAILED');
    const events = ['succeeded', 'succeeded', 'in_progress'].reduce<{ state: PaymentState; count: number }>((acc, outcome) => {
      const next = settle(acc.state, outcome as GatewayOutcome);
      return { state: next.state, count: acc.count + next.effects.length };
    }, { state: { status: 'PENDING', amount: 1, refunded: 0, refundPending: 0 }, count: 0 });
    assert.equal(events.count, 2, 'processing + completed, once each');
    for (const outcome of outcomes) assert.equal(settle({ status: 'REFUNDED', amount: 1, refunded: 1, refundPending: 0 }, outcome).effects.length, 0);
  });
});
