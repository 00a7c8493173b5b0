/**
 * What a saga does when a step's command runs into trouble, as pure functions
 * (the engine applies them under the saga's row lock). Trouble is one of:
 *
 * - `refused`: the participant answered no (it did nothing);
 * - `fault`: the participant could not run the command and dead-lettered it
 *   (it replied so, instead of leaving the saga to wait);
 * - `timeout`: no answer before the command timeout.
 *
 * Every kind of trouble is bounded: a command is resent at most `maxResends`
 * times after faults and timeouts, and a refusal past the pivot is retried at
 * most `maxRefusalRetries` times; then the saga gives up on the step. A saga
 * never loops.
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
}

export type TroubleMove =
  /** Send the command again: at once (it went unanswered) or after a backoff (refused, or the participant faulted). */
  | { kind: 'resend'; after: 'now' | 'backoff' }
  /** A refusal before the pivot: compensate the steps done before this one (the refused one did nothing). */
  | { kind: 'compensate' }
  /** Out of attempts. */
  | { kind: 'give-up' };

export function moveOnTrouble(input: TroubleInput, limits: TroubleLimits): TroubleMove {
  if (input.trouble === 'refused') {
    if (input.phase === 'forward' && !input.retryOnRefusal) return { kind: 'compensate' };
    return input.attempts < limits.maxRefusalRetries ? { kind: 'resend', after: 'backoff' } : { kind: 'give-up' };
  }
  if (input.attempts >= limits.maxResends) return { kind: 'give-up' };
  return { kind: 'resend', after: input.trouble === 'timeout' ? 'now' : 'backoff' };
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
