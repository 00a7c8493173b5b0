import type { Logger } from '../../observability/logger.ts';
import type { IncomingRecord, RecordHandler } from '../transport.ts';
import { handleInPlace } from '../handle-in-place.ts';

export interface PartitionLog {
  readonly records: IncomingRecord[];
  /** Resolves when a record is appended (or `signal` aborts). */
  waitForAppend(signal: AbortSignal): Promise<void>;
}

/**
 * Hands one partition's records to a handler, in order, committing each offset
 * after the handler resolved. Stopping waits for the in-flight record; if that
 * takes too long the record is abandoned uncommitted, so the next owner gets it.
 */
export class PartitionWorker {
  readonly #log: PartitionLog;
  readonly #handler: RecordHandler;
  readonly #commit: (nextOffset: bigint) => void;
  readonly #logger: Logger;
  readonly #stopping = new AbortController();
  readonly #abandon = new AbortController();
  readonly done: Promise<void>;

  constructor(log: PartitionLog, startOffset: bigint, handler: RecordHandler, commit: (nextOffset: bigint) => void, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
    this.#handler = handler;
    this.#commit = commit;
    this.done = this.#run(startOffset);
  }

  async #run(position: bigint): Promise<void> {
    const stopping = this.#stopping.signal;
    while (!stopping.aborted) {
      const record = this.#log.records[Number(position)];
      if (!record) {
        await this.#log.waitForAppend(stopping);
        continue;
      }
      if (!(await handleInPlace(this.#handler, record, stopping, this.#abandon.signal, this.#logger))) return;
      this.#commit(position + 1n);
      position += 1n;
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
