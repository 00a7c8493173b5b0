import type { Kysely } from 'kysely';
import { enqueueEvents, type OutboxMessage } from './outbox.ts';

export type Publish = (...messages: OutboxMessage[]) => void;
/** Queues a task to run once the transaction committed (metrics of what it did); tasks of a rolled-back attempt never run. */
export type AfterCommit = (task: () => void) => void;
export type OutboxTransaction = <T>(work: (trx: Kysely<unknown>, publish: Publish, afterCommit: AfterCommit) => Promise<T>) => Promise<T>;

/**
 * A transaction whose published events go to the service's outbox in the same
 * commit; the relay is woken once it committed. A retried transaction starts
 * with an empty list, so nothing is queued twice.
 */
export function outboxTransaction(db: Kysely<unknown>, schema: string, onOutboxWrite?: () => void): OutboxTransaction {
  return async <T>(work: (trx: Kysely<unknown>, publish: Publish, afterCommit: AfterCommit) => Promise<T>): Promise<T> => {
    const outgoing: OutboxMessage[] = [];
    const committed: (() => void)[] = [];
    const result = await db.transaction().execute(async (trx) => {
      outgoing.length = 0;
      committed.length = 0;
      const value = await work(trx, (...messages) => { outgoing.push(...messages); }, (task) => { committed.push(task); });
      await enqueueEvents(trx, schema, outgoing);
      return value;
    });
    if (outgoing.length > 0) onOutboxWrite?.();
    for (const task of committed) task();
    return result;
  };
}
