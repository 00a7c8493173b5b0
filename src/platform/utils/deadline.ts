/** Rejected when work passed its deadline; the work itself may still finish later (its result is then ignored). */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/**
 * Resolves or rejects as `work` does, or rejects with DeadlineExceeded after `ms`: an await on another system
 * (a broker, a database) that must not hang forever, e.g. inside an open transaction that holds a lock.
 * `onLate` runs if the deadline passed first (to drop a client that may be wedged).
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string, onLate?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate?.();
      reject(new DeadlineExceeded(`${what} did not finish within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
