/**
 * What a test harness has opened so far. When opening fails half-way, what was
 * already open (a Kafka consumer, a pool, a server) is closed, last first, so the
 * test file reports the error and ends instead of hanging on an open handle.
 */
export interface OpenScope {
  /** Registers how to close something just opened, and hands it back. */
  track<T>(resource: T, close: (resource: T) => Promise<unknown>): T;
}

export async function openScoped<T>(open: (scope: OpenScope) => Promise<T>): Promise<T> {
  const closers: Array<() => Promise<unknown>> = [];
  const scope: OpenScope = {
    track(resource, close) {
      closers.push(() => close(resource));
      return resource;
    },
  };
  try {
    return await open(scope);
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/** How a harness closes a tap it opened. */
export const closeTap = (tap: { close(options: { timeoutMs: number }): Promise<void> }): Promise<void> => tap.close({ timeoutMs: 1_000 });
