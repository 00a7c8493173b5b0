import type { Logger } from '../../observability/logger.ts';
import type { IncomingRecord, SubscribeOptions } from '../transport.ts';
import { handleInPlace, nextRunLength } from '../handle-in-place.ts';

export interface PartitionLog {
  /** The oldest offset kept and the next offset to be appended. */
  readonly startOffset: bigint;
  readonly endOffset: bigint;
  /** Up to `max` records from offset `from` on. */
  read(from: bigint, max: number): IncomingRecord[];
  /** Resolves when a record is appended (or `signal` aborts). */
  waitForAppend(signal: AbortSignal): Promise<void>;
}

export type Handlers = Pick<SubscribeOptions, 'handler' | 'batchHandler' | 'maxBatch'>;

/**
 * Hands one partition's records to a handler, in order (to a batch handler, what
 * is waiting at once), committing the offsets after the handler resolved. Stopping waits for the in-flight record; if that
 * takes too long the record is abandoned uncommitted, so the next owner gets it.
 */
export class PartitionWorker {
  readonly #log: PartitionLog;
  readonly #handlers: Handlers;
  readonly #commit: (nextOffset: bigint) => void;
  readonly #logger: Logger;
  readonly #stopping = new AbortController();
  readonly #abandon = new AbortController();
  readonly done: Promise<void>;

  constructor(log: PartitionLog, startOffset: bigint, handlers: Handlers, commit: (nextOffset: bigint) => void, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
    this.#handlers = handlers;
    this.#commit = commit;
    this.done = this.#run(startOffset);
  }

  async #run(position: bigint): Promise<void> {
    const stopping = this.#stopping.signal;
    while (!stopping.aborted) {
      const length = nextRunLength(this.#handlers, Number(this.#log.endOffset - position));
      if (length === 0) {
        await this.#log.waitForAppend(stopping);
        continue;
      }
      const run = this.#log.read(position, length);
      if (run.length === 0) {
        // Dropped by retention while no member read it: go on from the oldest record kept.
        position = this.#log.startOffset;
        continue;
      }
      const handled = await handleInPlace(this.#handlers, run, stopping, this.#abandon.signal, this.#logger);
      if (handled === null) return;
      if (handled === 0) continue;
      position += BigInt(handled);
      this.#commit(position);
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    this.#stopping.abort();
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.done,
      new Promise<symbol>((resolve) => { timer = setTimeout(() => resolve(timedOut), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (outcome === timedOut) this.#abandon.abort();
  }
}
