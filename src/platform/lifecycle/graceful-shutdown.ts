export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

export interface GracefulShutdownOptions {
  log?: (message: string) => void;
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
  /**
   * SHUTDOWN_TIMEOUT_MS: a stop that has not finished by then exits 1 anyway.
   * Nothing is lost: what was not committed (an in-flight handler, a record
   * waiting out its retry delay) is redelivered after a restart, and the inbox
   * makes the redelivery harmless; unpublished outbox rows stay in the database.
   */
  timeoutMs?: number;
}

/**
 * On SIGTERM or SIGINT, runs the steps in order — stop fetching and finish
 * in-flight handlers (committing their offsets), flush the outbox, disconnect —
 * then exits 0. A second signal exits at once with 1. A failing step is logged
 * and the next one still runs: a half-closed process is worse than a closed one.
 */
export function installGracefulShutdown(steps: readonly ShutdownStep[], options: GracefulShutdownOptions = {}): () => Promise<void> {
  const log = options.log ?? ((message: string) => console.error(message));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown: Promise<void> | null = null;

  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      for (const step of steps) {
        try {
          await step.run();
          log(`shutdown: ${step.name} done`);
        } catch (error) {
          log(`shutdown: ${step.name} failed: ${(error as Error).message}`);
        }
      }
    })();
    return shuttingDown;
  };

  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      if (shuttingDown) return exit(1);
      log(`shutdown: ${signal} received`);
      const timeoutMs = options.timeoutMs;
      const bound = timeoutMs === undefined ? null : setTimeout(() => {
        log(`shutdown: not finished within ${timeoutMs} ms; exiting with the unfinished work uncommitted (it is redelivered after a restart)`);
        exit(1);
      }, timeoutMs);
      void shutdown().then(() => {
        if (bound) clearTimeout(bound);
        exit(0);
      });
    });
  }
  return shutdown;
}
