import { sql, type Kysely } from 'kysely';
import type { Change } from '../../contracts/changes.ts';
import type { Logger } from '../observability/logger.ts';

export interface ChangeFeedOptions {
  db: Kysely<unknown>;
  /** The saga orchestrator's schema when it runs in this process (its sagas are watched), else null. */
  sagaSchema: string | null;
  /** Each service of this process and its schema (its dead letters are watched). */
  deadLetterSchemas: ReadonlyMap<string, string>;
  /** How often the tables are read while someone listens. */
  pollMs?: number;
  logger: Logger;
}

/**
 * Reread this far behind the newest change seen: a transaction stamps its rows when it writes them and
 * may commit a little later than one that stamped after it; the `seen` map keeps the reread from repeating.
 */
const OVERLAP_MS = 1_000;
const BATCH = 500;

/**
 * Saga and dead-letter changes of this process's tables, pushed to listeners
 * (the change stream's SSE connections). It reads the tables (by `updated_at`,
 * indexed) only while someone listens, so it works the same in one process and
 * in a deployment of many: each process feeds the changes of its own tables,
 * and the front door merges the streams.
 */
export class ChangeFeed {
  readonly #options: ChangeFeedOptions;
  readonly #listeners = new Set<(change: Change) => void>();
  readonly #seen = new Map<string, number>();
  #cursor = 0;
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
  }

  /** Calls `listener` with every change from now on; returns the unsubscribe. */
  subscribe(listener: (change: Change) => void): () => void {
    if (this.#listeners.size === 0) {
      this.#cursor = Date.now() - OVERLAP_MS;
      this.#seen.clear();
      this.#schedule();
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = null;
      }
    };
  }

  /** Stops reading (the server closes); listeners are dropped. */
  async close(): Promise<void> {
    this.#listeners.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#polling;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().catch((error: unknown) => {
        this.#options.logger.warn({ err: error }, `change feed: reading changes failed (tried again in ${this.#options.pollMs ?? 200} ms): ${error instanceof Error ? error.message : String(error)}`);
      }).finally(() => {
        this.#polling = null;
        if (this.#listeners.size > 0) this.#schedule();
      });
    }, this.#options.pollMs ?? 200);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const since = new Date(this.#cursor - OVERLAP_MS);
    const changes: Change[] = [];
    const { db, sagaSchema } = this.#options;
    if (sagaSchema !== null) {
      const rows = await sql<{ id: string; saga_type: string; order_id: string; status: string; customer_id: string | null; updated_at: Date }>`
        select id, saga_type, order_id, status, data::jsonb ->> 'customerId' as customer_id, updated_at
        from ${sql.id(sagaSchema)}.saga_instances where updated_at > ${since} order by updated_at limit ${BATCH}`.execute(db);
      for (const row of rows.rows) {
        changes.push({ kind: 'saga', id: row.id, type: row.saga_type, orderId: row.order_id, status: row.status, customerId: row.customer_id, updatedAt: new Date(row.updated_at).toISOString() });
      }
    }
    for (const [service, schema] of this.#options.deadLetterSchemas) {
      const rows = await sql<{ id: string; topic: string; reason: string; status: string; updated_at: Date }>`
        select id::text as id, topic, reason, status, updated_at
        from ${sql.id(schema)}.dead_letters where updated_at > ${since} order by updated_at limit ${BATCH}`.execute(db);
      for (const row of rows.rows) {
        changes.push({ kind: 'dead-letter', service, id: row.id, topic: row.topic, reason: row.reason, status: row.status, updatedAt: new Date(row.updated_at).toISOString() });
      }
    }
    for (const change of changes) this.#emit(change);
    this.#forgetBefore(since.getTime());
  }

  #emit(change: Change): void {
    const key = change.kind === 'saga' ? `saga:${change.id}` : `dl:${change.service}:${change.id}`;
    const at = Date.parse(change.updatedAt);
    if (at > this.#cursor) this.#cursor = at;
    if (this.#seen.get(key) === at) return;
    this.#seen.set(key, at);
    for (const listener of this.#listeners) listener(change);
  }

  #forgetBefore(at: number): void {
    for (const [key, seenAt] of this.#seen) if (seenAt < at) this.#seen.delete(key);
  }
}
