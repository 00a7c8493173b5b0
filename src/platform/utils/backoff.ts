export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
}

/** Exponential delay for the n-th attempt (0-based): initial × factor^n, capped. */
export function backoffDelay(attempt: number, { initialMs, maxMs, factor = 2 }: BackoffOptions): number {
  return Math.min(maxMs, initialMs * factor ** attempt);
}
