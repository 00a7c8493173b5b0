import type { Logger } from '../observability/logger.ts';
import { backoffDelay } from '../utils/backoff.ts';
import { sleep } from '../utils/sleep.ts';
import { plainScope, type IncomingRecord, type SubscribeOptions } from './transport.ts';

/** Default most records an adapter hands a batch handler at once. */
export const DEFAULT_MAX_BATCH = 100;

/** How many of a partition's waiting records the adapter takes next: a run for a batch handler, else one. */
export function nextRunLength(options: Pick<SubscribeOptions, 'batchHandler' | 'maxBatch'>, waiting: number): number {
  if (!options.batchHandler) return Math.min(1, waiting);
  return Math.min(waiting, Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH));
}

/**
 * Runs the handler until it resolves, retrying a rejection in place with backoff
 * — a record is never skipped. `records` is one record for `handler`, or a run of
 * a partition's consecutive records for `batchHandler` (retried as the same run).
 * Returns how many leading records were handled (a batch handler may stop
 * early), or null when the worker stopped (or abandoned the run) first: the
 * caller must then not commit their offsets.
 *
 * The handler's signal is `stopping`: a handler that is only waiting (a retry
 * delay, a pause between attempts) gives up at once on stop and leaves its
 * records uncommitted, so a stop is never held up by pending retries. Work that
 * is running still may finish until `abandon`; if it resolves after that, its
 * records are not committed either.
 */
export async function handleInPlace(
  options: Pick<SubscribeOptions, 'handler' | 'batchHandler'>, records: readonly IncomingRecord[], stopping: AbortSignal, abandon: AbortSignal, logger: Logger,
): Promise<number | null> {
  const first = records[0];
  if (!first) return abandon.aborted ? null : 0;
  const { batchHandler, handler } = options;
  const deliver = batchHandler
    ? async () => Math.min(records.length, (await batchHandler(records, stopping, plainScope)) ?? records.length)
    : async () => { await handler(first, stopping); return 1; };
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handled = await deliver();
      return abandon.aborted ? null : handled;
    } catch (error) {
      const where = {
        topic: first.topic, partition: first.partition, offset: first.offset.toString(), eventId: first.headers['paysaga-event-id'] ?? null,
        ...(records.length > 1 ? { records: records.length } : {}),
      };
      if (stopping.aborted) {
        logger.info({ ...where, err: error }, 'record left uncommitted on stop; it will be delivered again');
        return null;
      }
      const delayMs = backoffDelay(attempt, { initialMs: 50, maxMs: 2_000 });
      // The partition waits on this record (it is never skipped): an operator must see why.
      logger.error({ ...where, err: error, attempt: attempt + 1, retryInMs: delayMs }, 'record handler rejected; the partition waits and retries it');
      await sleep(delayMs, stopping);
      if (stopping.aborted) return null;
    }
  }
}
