import { positiveInteger } from '../config.ts';

/** The settings metrics and health read; the one place they are read, so a config schema can take them over whole. */
export interface ObservabilityConfig {
  /** SAGA_STUCK_AFTER_MS: a saga without progress this long counts as stuck. Keep it above the checkout payment window, which a saga spends waiting. */
  sagaStuckAfterMs: number;
  /** OUTBOX_READY_MAX_AGE_MS: an unpublished outbox row older than this makes the process not ready. */
  outboxReadyMaxAgeMs: number;
}

export function loadObservabilityConfig(env: NodeJS.ProcessEnv): ObservabilityConfig {
  return {
    sagaStuckAfterMs: positiveInteger('SAGA_STUCK_AFTER_MS', env.SAGA_STUCK_AFTER_MS, 30 * 60_000),
    outboxReadyMaxAgeMs: positiveInteger('OUTBOX_READY_MAX_AGE_MS', env.OUTBOX_READY_MAX_AGE_MS, 60_000),
  };
}
