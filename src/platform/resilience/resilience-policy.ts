import {
  BrokenCircuitError, CircuitState, ConsecutiveBreaker, ExponentialBackoff, TaskCancelledError, TimeoutStrategy,
  circuitBreaker, handleWhen, retry, timeout, wrap,
} from 'cockatiel';

export interface ResilienceOptions {
  /** Per-attempt ceiling; the attempt is abandoned (its outcome unknown) when it passes. */
  timeoutMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Consecutive retryable failures that open the breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open before one trial call is let through. */
  halfOpenAfterMs: number;
  /** Only these errors are retried and counted by the breaker (a card decline is an answer, not a fault). */
  isRetryable(error: unknown): boolean;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Isolated]: 'isolated',
};

export interface AttemptContext {
  /** 1 for the first try. */
  attempt: number;
  signal: AbortSignal;
}

export interface ResiliencePolicy {
  execute<T>(task: (context: AttemptContext) => Promise<T>): Promise<T>;
  readonly breakerState: BreakerState;
  onBreakerChange(listener: (state: BreakerState) => void): void;
}

/** The breaker refused the call: it was never attempted, so failing fast is safe. */
export function isBreakerOpen(error: unknown): boolean {
  return error instanceof BrokenCircuitError;
}

/** The attempt ran past its timeout: it may or may not have taken effect. */
export function isAttemptTimeout(error: unknown): boolean {
  return error instanceof TaskCancelledError;
}

/**
 * Timeout per attempt, retry with exponential backoff on retryable errors only,
 * and a circuit breaker over the attempts (cockatiel). The caller keeps its
 * idempotency key across attempts, so a retry never repeats a side effect.
 */
export function createResiliencePolicy(options: ResilienceOptions): ResiliencePolicy {
  const retryable = handleWhen((error) => isAttemptTimeout(error) || options.isRetryable(error));
  const breaker = circuitBreaker(retryable, {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold),
  });
  const retryPolicy = retry(handleWhen((error) => !isBreakerOpen(error) && (isAttemptTimeout(error) || options.isRetryable(error))), {
    maxAttempts: Math.max(0, options.maxAttempts - 1),
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs, maxDelay: options.maxDelayMs }),
  });
  const perAttempt = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  const policy = wrap(retryPolicy, breaker, perAttempt);
  return {
    execute: (task) => policy.execute(({ attempt, signal }) => task({ attempt: attempt + 1, signal })),
    get breakerState() { return STATE_NAMES[breaker.state]; },
    onBreakerChange(listener) { breaker.onStateChange((state) => listener(STATE_NAMES[state])); },
  };
}
