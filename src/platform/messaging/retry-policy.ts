import { backoffDelay } from '../utils/backoff.ts';

export interface RetryPolicy {
  /** Attempts in place (same process, fresh transaction each) before a record leaves its partition. */
  inPlaceAttempts: number;
  /** Pause between in-place attempts. */
  inPlaceDelayMs: number;
  /** Trips through the delayed-retry topic before the dead-letter topic. */
  delayedAttempts: number;
  /** Delay of the first delayed retry; doubles each time up to `maxDelayMs` (1, 2, 4, 8, 16, 30 s). */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  inPlaceAttempts: 3,
  inPlaceDelayMs: 50,
  delayedAttempts: 6,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/** Delay before delayed retry number `attempt` (1-based). */
export function delayedRetryDelay(policy: RetryPolicy, attempt: number): number {
  return backoffDelay(attempt - 1, { initialMs: policy.initialDelayMs, maxMs: policy.maxDelayMs });
}
