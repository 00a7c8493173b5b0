import type { Kysely } from 'kysely';
import type { Logger } from '../../platform/observability/logger.ts';
import type { OutboxTransaction } from '../../platform/outbox/outbox-transaction.ts';
import type { SagaEngine } from '../../platform/saga/saga-engine.ts';
import { sleep } from '../../platform/utils/sleep.ts';

export interface DeadlinePollerOptions {
  db: Kysely<unknown>;
  engine: SagaEngine;
  transaction: OutboxTransaction;
  intervalMs: number;
  logger: Logger;
}

/**
 * Fires passed saga deadlines (payment waits, unanswered commands, compensation
 * retries). Deadlines are rows, so they survive restarts; each fires in its own
 * transaction under the saga's row lock, so two orchestrator instances never
 * fire one twice.
 */
export class DeadlinePoller {
  readonly #stopping = new AbortController();
  #loop: Promise<void> | null = null;
  readonly #options: DeadlinePollerOptions;

  constructor(options: DeadlinePollerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop ??= (async () => {
      while (!this.#stopping.signal.aborted) {
        const fired = await this.fireDue().catch((error: unknown) => {
          this.#options.logger.error({ err: error, nextPassInMs: this.#options.intervalMs }, 'firing saga deadlines failed');
          return 0;
        });
        if (fired > 0) this.#options.logger.info({ fired }, 'saga deadlines fired');
        await sleep(this.#options.intervalMs, this.#stopping.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
  }

  async fireDue(): Promise<number> {
    const { db, engine, transaction } = this.#options;
    let fired = 0;
    for (const sagaId of await engine.dueSagas(db)) {
      if (await transaction((trx, publish, afterCommit) => engine.fireDeadline(trx, publish, sagaId, afterCommit))) fired += 1;
    }
    return fired;
  }
}
