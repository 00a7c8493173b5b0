import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  happySignalsBetween, ORDER_SIGNAL_TYPES, ORDER_STATUSES, TERMINAL_STATUSES, transition, transitionAll,
  type OrderSignal, type OrderStatus,
} from '../../../src/services/order/domain/order-machine.ts';

// The oracle, written out by hand from SPEC §4 plus the documented checkout abort
// (PAYMENT_PENDING | PENDING | CONFIRMED → CANCELLED). Columns, in order:
//   PAID, CONFIRMED, PREPARATION_STARTED, READY, PICKED_UP, DELIVERED,
//   PAYMENT_FAILED, CANCEL_REQUESTED, CHECKOUT_ABORTED, CANCELLATION_REFUNDED, CANCELLATION_CLOSED
const _ = '-';
const EXPECTED: Record<OrderStatus, readonly (OrderStatus | '-')[]> = {
  PAYMENT_PENDING: ['PENDING', _, _, _, _, _, 'PAYMENT_FAILED', 'CANCELLING', 'CANCELLED', _, _],
  PENDING: [_, 'CONFIRMED', _, _, _, _, _, 'CANCELLING', 'CANCELLED', _, _],
  CONFIRMED: [_, _, 'PREPARING', _, _, _, _, 'CANCELLING', 'CANCELLED', _, _],
  PREPARING: [_, _, _, 'READY_FOR_PICKUP', _, _, _, 'CANCELLING', _, _, _],
  READY_FOR_PICKUP: [_, _, _, _, 'OUT_FOR_DELIVERY', _, _, 'CANCELLING', _, _, _],
  OUT_FOR_DELIVERY: [_, _, _, _, _, 'DELIVERED', _, 'CANCELLING', _, _, _],
  DELIVERED: [_, _, _, _, _, _, _, _, _, _, _],
  PAYMENT_FAILED: [_, _, _, _, _, _, _, _, _, _, _],
  CANCELLING: [_, _, _, _, _, _, _, _, _, 'REFUNDED', 'CANCELLED'],
  CANCELLED: [_, _, _, _, _, _, _, _, _, _, _],
  REFUNDED: [_, _, _, _, _, _, _, _, _, _, _],
};

// The event each signal publishes beside order.updated, by hand.
const EXTRA_EVENT: Record<OrderSignal, string | null> = {
  PAID: 'order.created', CONFIRMED: 'order.confirmed', PREPARATION_STARTED: null, READY: null, PICKED_UP: null, DELIVERED: null,
  PAYMENT_FAILED: 'order.cancelled', CANCEL_REQUESTED: 'order.cancelled', CHECKOUT_ABORTED: 'order.cancelled',
  CANCELLATION_REFUNDED: null, CANCELLATION_CLOSED: null,
};

describe('order state machine', () => {
  test('the oracle covers every status and every signal', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), [...ORDER_STATUSES].sort());
    for (const row of Object.values(EXPECTED)) assert.equal(row.length, ORDER_SIGNAL_TYPES.length);
  });

  for (const status of ORDER_STATUSES) {
    for (const [column, signal] of ORDER_SIGNAL_TYPES.entries()) {
      const expected = EXPECTED[status][column];
      test(`${status} + ${signal} → ${expected === _ ? 'rejected' : expected}`, () => {
        const result = transition(status, signal);
        if (expected === _ || expected === undefined) {
          assert.equal(result.ok, false);
          if (!result.ok) {
            assert.equal(result.rejection.code, 'illegal_transition');
            assert.equal(result.rejection.status, status);
            assert.match(result.rejection.message, new RegExp(`${status}.*${signal}`));
          }
          return;
        }
        assert.ok(result.ok);
        assert.deepEqual(result.transition.from, status);
        assert.equal(result.transition.to, expected);
        const extra = EXTRA_EVENT[signal];
        assert.deepEqual(result.transition.effects.map((effect) => effect.event), extra ? ['order.updated', extra] : ['order.updated']);
      });
    }
  }

  test('terminal states absorb every signal', () => {
    assert.deepEqual([...TERMINAL_STATUSES].sort(), ['CANCELLED', 'DELIVERED', 'PAYMENT_FAILED', 'REFUNDED']);
    for (const status of TERMINAL_STATUSES) for (const signal of ORDER_SIGNAL_TYPES) assert.equal(transition(status, signal).ok, false);
  });

  test('the happy path end to end publishes created, confirmed and one order.updated per step', () => {
    const result = transitionAll('PAYMENT_PENDING', ['PAID', 'CONFIRMED', 'PREPARATION_STARTED', 'READY', 'PICKED_UP', 'DELIVERED']);
    assert.ok(result.ok);
    assert.equal(result.status, 'DELIVERED');
    assert.deepEqual(result.transitions.map((step) => `${step.from}>${step.to}`), [
      'PAYMENT_PENDING>PENDING', 'PENDING>CONFIRMED', 'CONFIRMED>PREPARING', 'PREPARING>READY_FOR_PICKUP', 'READY_FOR_PICKUP>OUT_FOR_DELIVERY', 'OUT_FOR_DELIVERY>DELIVERED',
    ]);
    const events = result.transitions.flatMap((step) => step.effects.map((effect) => effect.event));
    assert.equal(events.filter((event) => event === 'order.updated').length, 6);
    assert.deepEqual(events.filter((event) => event !== 'order.updated'), ['order.created', 'order.confirmed']);
  });

  test('transitionAll is all or nothing: the first illegal signal is the answer', () => {
    fc.assert(fc.property(
      fc.constantFrom(...ORDER_STATUSES), fc.array(fc.constantFrom(...ORDER_SIGNAL_TYPES), { maxLength: 8 }),
      (start, signals) => {
        const result = transitionAll(start, signals);
        let current: OrderStatus = start;
        for (const signal of signals) {
          const step = transition(current, signal);
          if (!step.ok) {
            assert.ok(!result.ok);
            assert.deepEqual(result.rejection, step.rejection);
            return;
          }
          current = step.transition.to;
        }
        assert.ok(result.ok);
        assert.equal(result.status, current);
        assert.equal(result.transitions.length, signals.length);
      },
    ));
  });

  test('happySignalsBetween walks forward along the happy path only', () => {
    assert.deepEqual(happySignalsBetween('CONFIRMED', 'OUT_FOR_DELIVERY'), ['PREPARATION_STARTED', 'READY', 'PICKED_UP']);
    assert.deepEqual(happySignalsBetween('READY_FOR_PICKUP', 'DELIVERED'), ['PICKED_UP', 'DELIVERED']);
    assert.deepEqual(happySignalsBetween('PAYMENT_PENDING', 'CONFIRMED'), ['PAID', 'CONFIRMED']);
    assert.deepEqual(happySignalsBetween('DELIVERED', 'PREPARING'), []);
    assert.deepEqual(happySignalsBetween('PREPARING', 'PREPARING'), []);
    assert.deepEqual(happySignalsBetween('CANCELLING', 'DELIVERED'), []);
    assert.deepEqual(happySignalsBetween('CONFIRMED', 'CANCELLED'), []);
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const signals = happySignalsBetween(from, to);
        if (signals.length === 0) continue;
        const walked = transitionAll(from, signals);
        assert.ok(walked.ok, `${from} → ${to}`);
        assert.equal(walked.status, to);
      }
    }
  });
});
