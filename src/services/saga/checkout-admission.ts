import { sql, type Kysely } from 'kysely';
import type { Logger } from '../../platform/observability/logger.ts';
import { sleep } from '../../platform/utils/sleep.ts';

export interface CheckoutAdmissionOptions {
  db: Kysely<unknown>;
  schema: string;
  sagaType: string;
  /** Checkout sagas not yet ended beyond which a new checkout is refused. */
  maxInFlight: number;
  /** How often the count is read again from the saga table (sagas other orchestrator instances started or ended). */
  refreshMs?: number;
  logger: Logger;
}

export type AdmissionDecision = { admitted: true } | { admitted: false; inFlight: number; limit: number; retryAfterSeconds: number };

/**
 * Admission control for POST /checkout: a bound on checkout sagas in flight
 * (RUNNING or COMPENSATING, a saga waiting for its customer to pay included).
 * Past it a checkout is refused at once (503 + Retry-After) instead of queueing
 * behind every other saga, so the sagas already admitted keep their latency.
 *
 * The count is the orchestrator's own knowledge, kept cheap: a count of the
 * active sagas read every `refreshMs` (a partial index on active sagas), plus
 * the starts and ends this process committed since — told by the saga engine's
 * observer after each commit. Between two reads another instance's starts are
 * not seen, so with N orchestrator instances the bound can be overshot by what
 * they start in one refresh interval; each instance's own starts count at once.
 */
export class CheckoutAdmission {
  readonly #options: Required<CheckoutAdmissionOptions>;
  readonly #stopping = new AbortController();
  #counted = 0;
  /** Starts minus ends this process committed since the last read. */
  #delta = 0;
  #loop: Promise<void> | null = null;

  constructor(options: CheckoutAdmissionOptions) {
    this.#options = { refreshMs: 500, ...options };
  }

  get inFlight(): number {
    return Math.max(0, this.#counted + this.#delta);
  }

  get limit(): number {
    return this.#options.maxInFlight;
  }

  decide(): AdmissionDecision {
    const inFlight = this.inFlight;
    if (inFlight < this.#options.maxInFlight) return { admitted: true };
    return { admitted: false, inFlight, limit: this.#options.maxInFlight, retryAfterSeconds: 1 };
  }

  /** Counts this process's committed starts and ends of checkout sagas at once (between two reads of the table). */
  readonly observer: { started(type: string): void; finished(type: string): void } = {
    started: (type) => { if (type === this.#options.sagaType) this.#delta += 1; },
    finished: (type) => { if (type === this.#options.sagaType) this.#delta -= 1; },
  };

  async refresh(): Promise<void> {
    const { db, schema, sagaType } = this.#options;
    const before = this.#delta;
    const result = await sql<{ active: string }>`select count(*) as active from ${sql.id(schema)}.saga_instances
      where saga_type = ${sagaType} and status in ('RUNNING', 'COMPENSATING')`.execute(db);
    this.#counted = Number(result.rows[0]?.active ?? 0);
    // What this process committed while the count ran may or may not be in it; keeping it errs towards refusing.
    this.#delta -= before;
  }

  start(): void {
    this.#loop ??= (async () => {
      while (!this.#stopping.signal.aborted) {
        await this.refresh().catch((error: unknown) => {
          this.#options.logger.warn({ err: error, retryInMs: this.#options.refreshMs }, 'counting checkout sagas in flight failed; admission uses the last count');
        });
        await sleep(this.#options.refreshMs, this.#stopping.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
  }
}
