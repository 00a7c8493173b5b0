/**
 * Work a caller starts without awaiting it (a gateway call after a commit, a
 * notification send). Registered here so whoever drives the process step by
 * step — the deterministic simulation — can wait until all of it has settled
 * before choosing the next step. Production only pays a Set insert and delete.
 */
const pending = new Set<Promise<unknown>>();

/** Tracks `work` until it settles and returns it unchanged. */
export function detach<T>(work: Promise<T>): Promise<T> {
  pending.add(work);
  const forget = (): void => { pending.delete(work); };
  work.then(forget, forget);
  return work;
}

/** Resolves once no detached work is pending (work started meanwhile is waited for too). */
export async function settleDetachedWork(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}
