/** Reports a failed collection; the scrape goes on with what is known. */
export type CollectionErrorReporter = (source: string, error: unknown) => void;

export const reportToStderr: CollectionErrorReporter = (source, error) => {
  console.error(`paysaga metrics: could not collect ${source}: ${error instanceof Error ? error.message : String(error)}`);
};

export interface ScrapeSourceOptions {
  /** Named in the error report and in `paysaga_metrics_source_up{source}`. */
  name: string;
  /** A collection slower than this is abandoned for this scrape (the database may be away or slow). */
  timeoutMs: number;
  /** Results younger than this are reused, so one scrape (several gauges) runs the query once. */
  maxAgeMs: number;
  onError: CollectionErrorReporter;
  /** Told whether each collection succeeded. */
  onOutcome?: (ok: boolean) => void;
}

/**
 * A value read on scrape (a database query, an admin-client call), bounded in
 * time and shared by the gauges that need it. A failure resolves to null (the
 * gauges then report nothing for it) after being reported: a scrape never
 * fails because a dependency is away.
 */
export class ScrapeSource<T> {
  readonly #read: () => Promise<T>;
  readonly #options: ScrapeSourceOptions;
  #pending: { at: number; value: Promise<T | null> } | null = null;

  constructor(read: () => Promise<T>, options: ScrapeSourceOptions) {
    this.#read = read;
    this.#options = options;
  }

  get(): Promise<T | null> {
    const now = Date.now();
    if (this.#pending && now - this.#pending.at < this.#options.maxAgeMs) return this.#pending.value;
    const value = this.#collect();
    this.#pending = { at: now, value };
    return value;
  }

  async #collect(): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`timed out after ${this.#options.timeoutMs} ms`)); }, this.#options.timeoutMs);
      timer.unref();
    });
    try {
      const value = await Promise.race([this.#read(), timeout]);
      this.#options.onOutcome?.(true);
      return value;
    } catch (error) {
      this.#options.onError(this.#options.name, error);
      this.#options.onOutcome?.(false);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
