import type { SagaState } from '../../platform/saga/saga-engine.ts';

type SagaSnapshot = SagaState;

interface Waiter {
  until: (snapshot: SagaSnapshot) => boolean;
  resolve: (snapshot: SagaSnapshot) => void;
}

/**
 * Waiting for a saga to reach a state without polling the database: the
 * saga engine tells `committed` after each transaction that changed a saga
 * commits in this process, and the waiters of that saga are woken with its
 * new state. A saga another orchestrator instance moves is not told here, so
 * `waitFor` still reads the table, but only every `fallbackMs`.
 */
export class SagaProgress {
  readonly #waiters = new Map<string, Set<Waiter>>();

  /** Called by the engine once a change of `sagaId` committed; its state is only read when someone waits for that saga. */
  readonly committed = (sagaId: string, state: () => SagaSnapshot): void => {
    const waiters = this.#waiters.get(sagaId);
    if (!waiters) return;
    const snapshot = state();
    for (const waiter of waiters) if (waiter.until(snapshot)) waiter.resolve(snapshot);
  };

  /**
   * The saga's state once `until` holds, or its last known state after `timeoutMs`.
   * `read` gives its state from the table: at once (it may be there already) and every `fallbackMs`; a caller
   * that has just committed the saga passes that state as `known`, and the table is read only at the fallbacks.
   */
  async waitFor(sagaId: string, wait: {
    until: (snapshot: SagaSnapshot) => boolean;
    read: () => Promise<SagaSnapshot | undefined>;
    timeoutMs: number;
    fallbackMs?: number;
    known?: SagaSnapshot;
  }): Promise<SagaSnapshot | undefined> {
    const { until, read, timeoutMs, fallbackMs = 1_000 } = wait;
    let known = wait.known;
    const waiters = this.#waiters.get(sagaId) ?? new Set<Waiter>();
    this.#waiters.set(sagaId, waiters);
    let told: SagaSnapshot | undefined;
    let wake = (): void => undefined;
    // Registered before the first read, so a commit between the read and the wait is not missed.
    const waiter: Waiter = { until, resolve: (snapshot) => { told = snapshot; wake(); } };
    waiters.add(waiter);
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const latest = told ?? known ?? await read();
        known = undefined;
        if (!latest || until(latest)) return latest;
        const left = deadline - Date.now();
        if (left <= 0) return latest;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, fallbackMs));
          wake = () => { clearTimeout(timer); resolve(); };
          if (told) wake();
        });
        if (told) return told;
      }
    } finally {
      waiters.delete(waiter);
      if (waiters.size === 0) this.#waiters.delete(sagaId);
    }
  }
}
