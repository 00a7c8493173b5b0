import { sleep } from './sleep.ts';

export interface RepeatingTaskOptions {
  intervalMs: number;
  /** Pause before the first pass (default: none). */
  firstDelayMs?: number;
  /** A pass that throws is reported here and the next pass comes after the interval, as usual. */
  onError: (error: unknown) => void;
}

/**
 * A background pass repeated every `intervalMs` until stopped: the loop the platform's workers share. `stop()` ends the
 * pause at once and waits for a pass under way; `start()` after a stop starts again.
 */
export class RepeatingTask {
  readonly #pass: (signal: AbortSignal) => Promise<void>;
  readonly #options: RepeatingTaskOptions;
  #stopping = new AbortController();
  #loop: Promise<void> | null = null;

  constructor(pass: (signal: AbortSignal) => Promise<void>, options: RepeatingTaskOptions) {
    this.#pass = pass;
    this.#options = options;
  }

  /** Aborted once stop() is called: a long pass checks it between its parts. */
  get signal(): AbortSignal {
    return this.#stopping.signal;
  }

  start(): void {
    if (this.#stopping.signal.aborted) this.#stopping = new AbortController();
    this.#loop ??= this.#run(this.#stopping.signal);
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    this.#loop = null;
  }

  async #run(signal: AbortSignal): Promise<void> {
    if (this.#options.firstDelayMs) await sleep(this.#options.firstDelayMs, signal);
    while (!signal.aborted) {
      try {
        await this.#pass(signal);
      } catch (error) {
        this.#options.onError(error);
      }
      await sleep(this.#options.intervalMs, signal);
    }
  }
}
