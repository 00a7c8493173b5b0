/**
 * What happens after one attempt to send a notification, as a pure function:
 * sent → `sent`; a failure with attempts left → stay `pending` and try again
 * after an exponential delay; the last allowed attempt failing → `failed`
 * (final, kept with its last error for an operator).
 */
export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const;
export type NotificationStatus = typeof NOTIFICATION_STATUSES[number];

export interface SendSchedule {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SEND_SCHEDULE: SendSchedule = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 60_000 };

export type AttemptOutcome = { ok: true } | { ok: false; error: string };

export type AttemptVerdict =
  | { status: 'sent' }
  | { status: 'pending'; error: string; retryInMs: number }
  | { status: 'failed'; error: string };

/** The delay after failed attempt `attempt` (1-based): initial × 2^(attempt−1), capped. */
export function retryDelay(attempt: number, schedule: SendSchedule): number {
  return Math.min(schedule.maxDelayMs, schedule.initialDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** The verdict on attempt number `attempt` (1-based) of a notification. */
export function judgeAttempt(attempt: number, outcome: AttemptOutcome, schedule: SendSchedule): AttemptVerdict {
  if (outcome.ok) return { status: 'sent' };
  if (attempt >= schedule.maxAttempts) return { status: 'failed', error: outcome.error };
  return { status: 'pending', error: outcome.error, retryInMs: retryDelay(attempt, schedule) };
}
