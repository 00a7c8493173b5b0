import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decide, NO_RESERVATION, RESERVATION_COMMANDS, type ReservationCommand, type ReservationDecision, type ReservationState,
} from '../../../src/services/inventory/domain/reservation-machine.ts';

type Expected =
  | { applied: ReservationState['status']; movement: string; event: string }
  | 'unchanged'
  | { refused: string };

// The oracle, written out by hand: every reachable state × every command.
const STATES: Record<string, ReservationState> = {
  none: NO_RESERVATION,
  held: { status: 'held', wasCommitted: false },
  committed: { status: 'committed', wasCommitted: true },
  'released (never committed)': { status: 'released', wasCommitted: false },
  'released (restocked sale)': { status: 'released', wasCommitted: true },
};

const EXPECTED: Record<string, Record<ReservationCommand, Expected>> = {
  none: {
    RESERVE: { applied: 'held', movement: 'reserve', event: 'inventory.reserved' },
    COMMIT: { refused: 'no_reservation' },
    RELEASE: 'unchanged',
  },
  held: {
    RESERVE: 'unchanged',
    COMMIT: { applied: 'committed', movement: 'ship', event: 'inventory.committed' },
    RELEASE: { applied: 'released', movement: 'unreserve', event: 'inventory.released' },
  },
  committed: {
    RESERVE: 'unchanged',
    COMMIT: 'unchanged',
    RELEASE: { applied: 'released', movement: 'restock', event: 'inventory.released' },
  },
  'released (never committed)': { RESERVE: 'unchanged', COMMIT: { refused: 'reservation_released' }, RELEASE: 'unchanged' },
  'released (restocked sale)': { RESERVE: 'unchanged', COMMIT: 'unchanged', RELEASE: 'unchanged' },
};

function describeDecision(decision: ReservationDecision): Expected {
  switch (decision.outcome) {
    case 'applied': return { applied: decision.state.status, movement: decision.movement, event: decision.event };
    case 'unchanged': return 'unchanged';
    case 'refused': return { refused: decision.code };
  }
}

describe('reservation state machine', () => {
  for (const [name, state] of Object.entries(STATES)) {
    for (const command of RESERVATION_COMMANDS) {
      const expected = EXPECTED[name]?.[command];
      test(`${name} + ${command} → ${JSON.stringify(expected)}`, () => {
        const snapshot = structuredClone(state);
        const decision = decide(state, command);
        assert.deepEqual(state, snapshot, 'the input state is never mutated');
        assert.deepEqual(describeDecision(decision), expected);
        if (decision.outcome === 'refused') assert.ok(decision.message.length > 0);
      });
    }
  }

  test('a compensation is never refused, from any state', () => {
    for (const state of Object.values(STATES)) assert.notEqual(decide(state, 'RELEASE').outcome, 'refused');
  });

  test('applying a command, then repeating it, changes nothing the second time (saga retries are safe)', () => {
    for (const state of Object.values(STATES)) {
      for (const command of RESERVATION_COMMANDS) {
        const first = decide(state, command);
        if (first.outcome !== 'applied') continue;
        assert.equal(decide(first.state, command).outcome, 'unchanged', `${state.status} + ${command} twice`);
      }
    }
  });

  test('wasCommitted is set by COMMIT and kept by RELEASE; only a committed reservation restocks', () => {
    const committed = decide({ status: 'held', wasCommitted: false }, 'COMMIT');
    assert.ok(committed.outcome === 'applied' && committed.state.wasCommitted);
    const restocked = decide(committed.state, 'RELEASE');
    assert.ok(restocked.outcome === 'applied');
    assert.deepEqual(restocked.state, { status: 'released', wasCommitted: true });
    const unreserved = decide({ status: 'held', wasCommitted: false }, 'RELEASE');
    assert.ok(unreserved.outcome === 'applied');
    assert.deepEqual(unreserved.state, { status: 'released', wasCommitted: false });
  });

  test('every state reachable by commands is one of the oracle states (the table is exhaustive)', () => {
    const key = (state: ReservationState): string => `${state.status}/${state.wasCommitted}`;
    const known = new Set(Object.values(STATES).map(key));
    const seen = new Set<string>([key(NO_RESERVATION)]);
    const frontier: ReservationState[] = [NO_RESERVATION];
    for (let guard = 0; frontier.length > 0 && guard < 100; guard += 1) {
      const state = frontier.pop() as ReservationState;
      for (const command of RESERVATION_COMMANDS) {
        const decision = decide(state, command);
        if (decision.outcome === 'applied' && !seen.has(key(decision.state))) {
          seen.add(key(decision.state));
          frontier.push(decision.state);
        }
      }
    }
    for (const reached of seen) assert.ok(known.has(reached), `${reached} is covered`);
  });
});
