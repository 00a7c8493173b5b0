/**
 * What a saga does when a step's command runs into trouble, as pure functions
 * (the engine applies them under the saga's row lock). Trouble is one of:
 *
 * - `refused`: the participant answered no (it did nothing);
 * - `fault`: the participant could not run the command and dead-lettered it
 *   (it replied so, instead of leaving the saga to wait);
 * - `timeout`: no answer before the command timeout.
 *
 * Refusals and faults are bounded: a command is resent at most `maxResends`
 * times after faults, and a refusal past the pivot is retried at most
 * `maxRefusalRetries` times; then the saga gives up on the step (the
 * participant said it did nothing, or cannot run it at all).
 *
 * Timeouts are bounded only where giving up is safe. An unanswered command may
 * still run late, so the saga gives up on it (after `maxResends` resends) only
 * when that late run is made right: a forward step with its own compensation
 * (the saga compensates it too) or an optional one (a notification). Any other
 * unanswered command — a refund (money only goes back), a step past the pivot,
 * a compensation (SPEC §3: retried until it succeeds) — is resent, with the
 * same id-based idempotency, until it is answered: giving up on it would end
 * the saga while its effect may still happen (a refund the books never see).
 */
export type Trouble = 'refused' | 'fault' | 'timeout';

/** The result field of a failure reply that says the participant dead-lettered the command (set by participant.ts). */
export const DEAD_LETTERED = 'deadLettered';
export type Phase = 'forward' | 'compensation';

export interface TroubleLimits {
  /** Resends of one command after faults or timeouts. */
  maxResends: number;
  /** Retries of a refused command past the pivot, or of a refused compensation. */
  maxRefusalRetries: number;
}

export interface TroubleInput {
  phase: Phase;
  /** The step is past the pivot: a refusal is retried instead of compensated. */
  retryOnRefusal: boolean;
  /** How often the current command was already resent or retried. */
  attempts: number;
  trouble: Trouble;
  /**
   * A late run of this command would be made right if the saga gave up on it: a
   * forward step with its own compensation, or an optional step. False for a
   * compensation and for a forward step with no undo.
   */
  lateRunCovered: boolean;
}

export type TroubleMove =
  /** Send the command again: at once (it went unanswered) or after a backoff (refused, or the participant faulted). */
  | { kind: 'resend'; after: 'now' | 'backoff' }
  /** A refusal before the pivot: compensate the steps done before this one (the refused one did nothing). */
  | { kind: 'compensate' }
  /** Out of attempts (never for an unanswered command whose late run nothing would make right). */
  | { kind: 'give-up' };

/** Whether giving up on a step's unanswered command is safe: see `TroubleInput.lateRunCovered`. */
export function lateRunCovered(phase: Phase, step: { compensate?: unknown; optional?: boolean }): boolean {
  return phase === 'forward' && (step.optional === true || typeof step.compensate === 'function');
}

export function moveOnTrouble(input: TroubleInput, limits: TroubleLimits): TroubleMove {
  if (input.trouble === 'refused') {
    if (input.phase === 'forward' && !input.retryOnRefusal) return { kind: 'compensate' };
    return input.attempts < limits.maxRefusalRetries ? { kind: 'resend', after: 'backoff' } : { kind: 'give-up' };
  }
  if (input.trouble === 'timeout') return input.attempts < limits.maxResends || !input.lateRunCovered ? { kind: 'resend', after: 'now' } : { kind: 'give-up' };
  return input.attempts < limits.maxResends ? { kind: 'resend', after: 'backoff' } : { kind: 'give-up' };
}

export type GiveUpMove =
  /** An optional step (a notification): recorded as abandoned, the saga goes on. */
  | { kind: 'skip-step' }
  /**
   * Compensate from this step on, this one included: after timeouts its command
   * may still run late, and compensations are idempotent (an order cancelled
   * before it was created is refused when its CreateOrder comes late).
   */
  | { kind: 'compensate-including-step' }
  /** A compensation that cannot be done: recorded, the earlier ones still run, and the saga ends FAILED. */
  | { kind: 'abandon-compensation' };

export function moveOnGiveUp(phase: Phase, optional: boolean): GiveUpMove {
  if (phase === 'compensation') return { kind: 'abandon-compensation' };
  return optional ? { kind: 'skip-step' } : { kind: 'compensate-including-step' };
}

/**
 * How a failed saga ends once its compensations ran: COMPENSATED when all were
 * done, FAILED when one had to be abandoned or when the saga has nothing it
 * could compensate (a refund saga: money only goes back), so FAILED always
 * means "look at me".
 */
export function endOfFailure(input: { sagaHasCompensations: boolean; abandonedCompensations: number }): 'COMPENSATED' | 'FAILED' {
  return input.sagaHasCompensations && input.abandonedCompensations === 0 ? 'COMPENSATED' : 'FAILED';
}

/** Text from a participant (a refusal reason, a handler's error), made safe to store: no NUL (PostgreSQL text refuses it), bounded. */
export function storableReason(reason: string): string {
  return reason.replace(/\u0000/g, '\uFFFD').slice(0, 2_000);
}
