import type { Logger } from '../observability/logger.ts';
import { backoffDelay } from '../utils/backoff.ts';
import { sleep } from '../utils/sleep.ts';
import type { IncomingRecord, RecordHandler } from './transport.ts';

/**
 * Runs the handler until it resolves, retrying a rejection in place with backoff
 * — a record is never skipped. Returns false when the worker stopped (or
 * abandoned the record) first: the caller must then not commit its offset.
 *
 * The handler's signal is `stopping`: a handler that is only waiting (a retry
 * delay, a pause between attempts) gives up at once on stop and leaves its
 * record uncommitted, so a stop is never held up by pending retries. Work that
 * is running still may finish until `abandon`; if it resolves after that, its
 * record is not committed either.
 */
export async function handleInPlace(handler: RecordHandler, record: IncomingRecord, stopping: AbortSignal, abandon: AbortSignal, logger: Logger): Promise<boolean> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await handler(record, stopping);
      return !abandon.aborted;
    } catch (error) {
      const where = { topic: record.topic, partition: record.partition, offset: record.offset.toString(), eventId: record.headers['paysaga-event-id'] ?? null };
      if (stopping.aborted) {
        logger.info({ ...where, err: error }, 'record left uncommitted on stop; it will be delivered again');
        return false;
      }
      const delayMs = backoffDelay(attempt, { initialMs: 50, maxMs: 2_000 });
      // The partition waits on this record (it is never skipped): an operator must see why.
      logger.error({ ...where, err: error, attempt: attempt + 1, retryInMs: delayMs }, 'record handler rejected; the partition waits and retries it');
      await sleep(delayMs, stopping);
      if (stopping.aborted) return false;
    }
  }
}
