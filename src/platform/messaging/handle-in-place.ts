import { backoffDelay } from '../utils/backoff.ts';
import { sleep } from '../utils/sleep.ts';
import type { IncomingRecord, RecordHandler } from './transport.ts';

/**
 * Runs the handler until it resolves, retrying a rejection in place with backoff
 * — a record is never skipped. Returns false when the worker stopped (or
 * abandoned the record) first: the caller must then not commit its offset.
 */
export async function handleInPlace(handler: RecordHandler, record: IncomingRecord, stopping: AbortSignal, abandon: AbortSignal): Promise<boolean> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await handler(record, abandon);
      return !abandon.aborted;
    } catch {
      if (stopping.aborted) return false;
      await sleep(backoffDelay(attempt, { initialMs: 50, maxMs: 2_000 }), stopping);
      if (stopping.aborted) return false;
    }
  }
}
