import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endOfFailure, lateRunCovered, moveOnGiveUp, moveOnTrouble, storableReason, type Phase, type Trouble, type TroubleMove } from '../../../src/platform/saga/saga-moves.ts';

const limits = { maxResends: 3, maxRefusalRetries: 5 };
const PHASES: Phase[] = ['forward', 'compensation'];
const TROUBLES: Trouble[] = ['refused', 'fault', 'timeout'];

/** The expected move, written out as the rule reads (docs/sagas.md "Trouble"). */
function expected(phase: Phase, retryOnRefusal: boolean, trouble: Trouble, attempts: number, covered: boolean): TroubleMove['kind'] | 'resend-now' | 'resend-backoff' {
  if (trouble === 'refused' && phase === 'forward' && !retryOnRefusal) return 'compensate';
  if (trouble === 'refused') return attempts < limits.maxRefusalRetries ? 'resend-backoff' : 'give-up';
  if (trouble === 'timeout' && !covered) return 'resend-now';
  if (attempts >= limits.maxResends) return 'give-up';
  return trouble === 'timeout' ? 'resend-now' : 'resend-backoff';
}

describe('saga moves (pure): what trouble with a command leads to', () => {
  test('every phase × step kind × trouble × attempt count, exhaustively', () => {
    for (const phase of PHASES) {
      for (const retryOnRefusal of [false, true]) {
        for (const lateRunCovered of [false, true]) {
          for (const trouble of TROUBLES) {
            for (let attempts = 0; attempts <= 8; attempts += 1) {
              const move = moveOnTrouble({ phase, retryOnRefusal, trouble, attempts, lateRunCovered }, limits);
              const got = move.kind === 'resend' ? `resend-${move.after}` : move.kind;
              assert.equal(got, expected(phase, retryOnRefusal, trouble, attempts, lateRunCovered), `${phase} retryOnRefusal=${retryOnRefusal} covered=${lateRunCovered} ${trouble} after ${attempts}`);
            }
          }
        }
      }
    }
  });

  test('refusals and faults give up within the limits; an unanswered command is given up only when its late run is covered', () => {
    for (const phase of PHASES) {
      for (const retryOnRefusal of [false, true]) {
        for (const covered of [false, true]) {
          for (const trouble of TROUBLES) {
            let attempts = 0;
            let move = moveOnTrouble({ phase, retryOnRefusal, trouble, attempts, lateRunCovered: covered }, limits);
            while (move.kind === 'resend' && attempts < 1_000) {
              attempts += 1;
              move = moveOnTrouble({ phase, retryOnRefusal, trouble, attempts, lateRunCovered: covered }, limits);
            }
            if (trouble === 'timeout' && !covered) assert.equal(move.kind, 'resend', `${phase} uncovered timeout: resent until answered`);
            else assert.ok(attempts <= Math.max(limits.maxResends, limits.maxRefusalRetries), `${phase} ${trouble}: ${attempts} resends`);
          }
        }
      }
    }
  });

  test('a late run is covered only for a forward step with its own compensation, or an optional one', () => {
    const undo = () => null;
    assert.equal(lateRunCovered('forward', { compensate: undo }), true);
    assert.equal(lateRunCovered('forward', { optional: true }), true);
    assert.equal(lateRunCovered('forward', {}), false);
    assert.equal(lateRunCovered('compensation', { compensate: undo }), false);
  });

  test('giving up: an optional step is skipped, another step is compensated with itself, a compensation is abandoned', () => {
    assert.deepEqual(moveOnGiveUp('forward', true), { kind: 'skip-step' });
    assert.deepEqual(moveOnGiveUp('forward', false), { kind: 'compensate-including-step' });
    assert.deepEqual(moveOnGiveUp('compensation', false), { kind: 'abandon-compensation' });
    assert.deepEqual(moveOnGiveUp('compensation', true), { kind: 'abandon-compensation' });
  });

  test('a failed saga ends COMPENSATED only when it could compensate and abandoned nothing', () => {
    assert.equal(endOfFailure({ sagaHasCompensations: true, abandonedCompensations: 0 }), 'COMPENSATED');
    assert.equal(endOfFailure({ sagaHasCompensations: true, abandonedCompensations: 1 }), 'FAILED');
    assert.equal(endOfFailure({ sagaHasCompensations: false, abandonedCompensations: 0 }), 'FAILED');
  });

  test('a participant\'s reason is stored without NUL and bounded', () => {
    assert.equal(storableReason('bad\u0000byte'), 'bad\uFFFDbyte');
    assert.equal(storableReason('x'.repeat(5_000)).length, 2_000);
  });
});
