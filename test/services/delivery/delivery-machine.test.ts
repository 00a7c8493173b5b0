import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultDeliveryArea } from '../../../src/services/delivery/domain/delivery-area.ts';
import {
  DELIVERY_SIGNAL_TYPES, DELIVERY_STATUSES, isShipped, SIGNAL_FOR_STATUS, transition,
  type DeliverySignal, type DeliverySignalType, type DeliveryState, type DeliveryStatus,
} from '../../../src/services/delivery/domain/delivery-machine.ts';

// The oracle, written out by hand: status × signal → next status, or '-' for illegal.
const EXPECTED: Record<DeliveryStatus, Record<DeliverySignalType, DeliveryStatus | '-'>> = {
  CREATED: { ASSIGN_COURIER: 'COURIER_ASSIGNED', PICK_UP: '-', DELIVER: '-', CANCEL: 'CANCELLED' },
  COURIER_ASSIGNED: { ASSIGN_COURIER: '-', PICK_UP: 'PICKED_UP', DELIVER: '-', CANCEL: 'CANCELLED' },
  PICKED_UP: { ASSIGN_COURIER: '-', PICK_UP: '-', DELIVER: 'DELIVERED', CANCEL: '-' },
  DELIVERED: { ASSIGN_COURIER: '-', PICK_UP: '-', DELIVER: '-', CANCEL: '-' },
  CANCELLED: { ASSIGN_COURIER: '-', PICK_UP: '-', DELIVER: '-', CANCEL: '-' },
};

const COURIER = 'courier_1';
const stateIn = (status: DeliveryStatus): DeliveryState => ({ status, courierId: status === 'CREATED' ? null : COURIER });
const signalOf = (type: DeliverySignalType, courierId = COURIER): DeliverySignal =>
  type === 'CANCEL' ? { type } : { type, courierId };

describe('delivery state machine', () => {
  for (const status of DELIVERY_STATUSES) {
    for (const type of DELIVERY_SIGNAL_TYPES) {
      const expected = EXPECTED[status][type];
      test(`${status} + ${type} → ${expected === '-' ? 'rejected' : expected}`, () => {
        const before = stateIn(status);
        const snapshot = structuredClone(before);
        const result = transition(before, signalOf(type));
        assert.deepEqual(before, snapshot, 'the input state is never mutated');
        if (expected === '-') {
          assert.equal(result.ok, false);
          if (!result.ok) {
            assert.equal(result.rejection.code, 'illegal_transition');
            assert.match(result.rejection.message, new RegExp(`${status}.*${type}`));
          }
          return;
        }
        assert.ok(result.ok);
        assert.equal(result.state.status, expected);
        assert.deepEqual(result.effects, [{ type: 'publish', event: 'delivery.updated' }]);
      });
    }
  }

  test('assigning records the courier; cancelling keeps whoever was assigned', () => {
    const assigned = transition(stateIn('CREATED'), { type: 'ASSIGN_COURIER', courierId: 'courier_9' });
    assert.ok(assigned.ok);
    assert.deepEqual(assigned.state, { status: 'COURIER_ASSIGNED', courierId: 'courier_9' });
    const cancelled = transition(assigned.state, { type: 'CANCEL' });
    assert.ok(cancelled.ok);
    assert.deepEqual(cancelled.state, { status: 'CANCELLED', courierId: 'courier_9' });
    const cancelledEarly = transition(stateIn('CREATED'), { type: 'CANCEL' });
    assert.ok(cancelledEarly.ok);
    assert.deepEqual(cancelledEarly.state, { status: 'CANCELLED', courierId: null });
  });

  test('only the assigned courier may pick up and deliver', () => {
    for (const [status, type] of [['COURIER_ASSIGNED', 'PICK_UP'], ['PICKED_UP', 'DELIVER']] as const) {
      const other = transition(stateIn(status), signalOf(type, 'courier_2'));
      assert.ok(!other.ok, `${status} + ${type} by another courier`);
      assert.equal(other.rejection.code, 'courier_mismatch');
      assert.ok(transition(stateIn(status), signalOf(type)).ok);
    }
  });

  test('an illegal signal is rejected as illegal even from another courier (the status speaks first)', () => {
    const result = transition(stateIn('DELIVERED'), signalOf('DELIVER', 'courier_2'));
    assert.ok(!result.ok);
    assert.equal(result.rejection.code, 'illegal_transition');
  });

  test('shipped means the food left the restaurant', () => {
    const shipped = DELIVERY_STATUSES.filter(isShipped);
    assert.deepEqual(shipped, ['PICKED_UP', 'DELIVERED']);
  });

  test('each courier status maps to the signal that reaches it', () => {
    for (const [status, type] of Object.entries(SIGNAL_FOR_STATUS)) {
      const from = DELIVERY_STATUSES.find((candidate) => EXPECTED[candidate][type] === status);
      assert.ok(from, `some status reaches ${status} by ${type}`);
      const result = transition(stateIn(from), signalOf(type));
      assert.ok(result.ok);
      assert.equal(result.state.status, status);
    }
  });

  test('property: any signal sequence follows the happy path or stops; the status never moves backwards', () => {
    const rank: Record<DeliveryStatus, number> = { CREATED: 0, COURIER_ASSIGNED: 1, PICKED_UP: 2, DELIVERED: 3, CANCELLED: 4 };
    const signal = fc.oneof(
      fc.constant<DeliverySignal>({ type: 'CANCEL' }),
      fc.record({ type: fc.constantFrom('ASSIGN_COURIER' as const, 'PICK_UP' as const, 'DELIVER' as const), courierId: fc.constantFrom('c1', 'c2') }),
    );
    fc.assert(fc.property(fc.array(signal, { maxLength: 30 }), (signals) => {
      let state: DeliveryState = { status: 'CREATED', courierId: null };
      for (const next of signals) {
        const result = transition(state, next);
        if (!result.ok) continue;
        assert.ok(rank[result.state.status] > rank[state.status]);
        if (result.state.status === 'CANCELLED') assert.ok(!isShipped(state.status), 'a shipped delivery is never cancelled');
        if (state.courierId !== null) assert.equal(result.state.courierId, state.courierId, 'the courier never changes once assigned');
        state = result.state;
      }
    }));
  });
});

describe('default delivery area', () => {
  test('refuses addresses containing the word "unreachable", in any case', () => {
    for (const address of ['1 Unreachable Road', 'unreachable', 'Cabin, UNREACHABLE valley', 'x unreachable.']) {
      assert.equal(defaultDeliveryArea(address), false, address);
    }
    for (const address of ['1 Main Street', 'Reachable Avenue 3', 'Unreachables Lane', '10 Downing Street']) {
      assert.equal(defaultDeliveryArea(address), true, address);
    }
  });
});
