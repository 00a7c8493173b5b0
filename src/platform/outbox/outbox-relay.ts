import { TimeoutStrategy, timeout } from 'cockatiel';
import { sql, type Kysely } from 'kysely';
import { platformDb } from '../database/platform-tables.ts';
import type { OutgoingRecord, Transport } from '../messaging/transport.ts';
import { outgoingMessageFields } from '../observability/log-context.ts';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import { backoffDelay } from '../utils/backoff.ts';
import { sleep } from '../utils/sleep.ts';

export interface OutboxRelayOptions {
  db: Kysely<unknown>;
  schema: string;
  transport: Transport;
  batchSize?: number;
  /** How often to look for rows written by other processes; writers in this process call wake(). */
  pollIntervalMs?: number;
  /**
   * Longest a batch's publish may take. The batch's transaction (and the schema's relay lock) stays open while the
   * transport works: a publish that never ends (a client wedged after a broker restart) stopped every relay of the
   * schema for good. Past it the transaction rolls back, nothing is marked, and the batch is retried.
   */
  publishTimeoutMs?: number;
  /**
   * Whether a published row stays (marked, for the audit; the retention pass deletes it later) or is deleted by the
   * statement that publishes it: no second version of the row, nothing left to prune (embedded mode).
   */
  keepPublished?: boolean;
  /** Told of each batch once it is published and marked (metrics). */
  onPublished?: (records: readonly OutgoingRecord[]) => void;
  /** Publish failures (broker away) are warnings while the relay backs off; each published record is a debug line. */
  logger?: Logger;
}

/**
 * Publishes a service's outbox to the transport, oldest first, and marks rows
 * sent in the same transaction (one statement locks, marks and reads them). One relay per schema publishes
 * at a time (a transaction-scoped advisory lock), so per-key order is kept even
 * with several instances. If the broker is down, publishing fails, nothing is
 * marked, and the relay retries with backoff while the service keeps writing.
 */
export class OutboxRelay {
  readonly #options: Required<Omit<OutboxRelayOptions, 'logger' | 'onPublished'>> & Pick<OutboxRelayOptions, 'onPublished'>;
  readonly #logger: Logger;
  #wake = new AbortController();
  #stopping = new AbortController();
  #loop: Promise<void> | null = null;
  #published = 0;

  constructor(options: OutboxRelayOptions) {
    const { logger, ...rest } = options;
    this.#options = { batchSize: 500, pollIntervalMs: 200, publishTimeoutMs: 60_000, keepPublished: true, ...rest };
    this.#logger = logger ?? fallbackLogger();
  }

  /** Records published by this relay since it started. */
  get publishedCount(): number {
    return this.#published;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Tells the relay new rows were committed, so it publishes now instead of at the next poll. */
  wake(): void {
    this.#wake.abort();
  }

  /** Publishes one batch; returns how many records went out (0 if another relay holds the lock). */
  async publishBatch(): Promise<number> {
    const { db, schema, transport, batchSize, publishTimeoutMs, keepPublished } = this.#options;
    let published: OutgoingRecord[] = [];
    const count = await db.transaction().execute(async (trx) => {
      const outbox = sql.table(`${schema}.outbox`);
      // One statement takes the schema's relay lock (once: a scalar subquery), and marks (or deletes) and reads the
      // batch if it got it (another relay holding it: no row). It commits only once the transport has every record.
      const take = keepPublished ? sql`update ${outbox} set published_at = ${new Date()}` : sql`delete from ${outbox}`;
      const { rows } = await sql<{ id: bigint; topic: string; key: string; value: Uint8Array; headers: string }>`
        with relay_lock as (select pg_try_advisory_xact_lock(hashtext(${`paysaga.outbox.${schema}`})) as locked)
        ${take}
        where (select locked from relay_lock)
          and id in (select id from ${outbox} where published_at is null order by id limit ${batchSize})
        returning id, topic, key, value, headers`.execute(trx);
      if (rows.length === 0) return 0;
      // RETURNING has no order: oldest first, so each key's records keep theirs.
      rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      published = rows.map((row) => ({
        topic: row.topic, key: row.key, value: Buffer.from(row.value), headers: JSON.parse(row.headers) as Record<string, string>,
      }));
      // Past the deadline this rejects (TaskCancelledError) and the transaction rolls back; a late success is ignored.
      await timeout(publishTimeoutMs, TimeoutStrategy.Aggressive).execute(() => transport.publish(published));
      if (this.#logger.isLevelEnabled('debug')) for (const record of published) this.#logger.debug(outgoingMessageFields(record), 'published');
      return rows.length;
    });
    this.#published += count;
    if (count > 0) this.#options.onPublished?.(published);
    return count;
  }

  /** Unpublished rows: the outbox backlog. */
  async backlog(): Promise<number> {
    const row = await platformDb(this.#options.db, this.#options.schema).selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('count')).where('published_at', 'is', null).executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping.signal.aborted) {
      const wake = this.#wake.signal;
      try {
        const count = await this.publishBatch();
        failures = 0;
        if (count === this.#options.batchSize) continue;
        if (!wake.aborted) await sleep(this.#options.pollIntervalMs, AbortSignal.any([wake, this.#stopping.signal]));
      } catch (error) {
        const delayMs = backoffDelay(failures++, { initialMs: 100, maxMs: 5_000 });
        // A broker away for a moment is a warning; one that stays away (about a minute of backoff) is an error.
        this.#logger[failures >= 15 ? 'error' : 'warn']({ err: error, failures, retryInMs: delayMs }, 'outbox publish failed; nothing marked, retrying');
        await sleep(delayMs, this.#stopping.signal);
      }
      if (wake.aborted) this.#wake = new AbortController();
    }
  }

  /** Stops the loop, then publishes what is left (for up to `timeoutMs`) so a clean shutdown leaves no backlog. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await this.publishBatch()) === 0 && (await this.backlog()) === 0) return;
      } catch (error) {
        this.#logger.warn({ err: error }, 'outbox flush on stop failed; retrying until the stop deadline');
        await sleep(200);
      }
    }
    this.#logger.error({ backlog: await this.backlog().catch((error: unknown) => { this.#logger.error({ err: error }, 'outbox backlog unreadable'); return null; }) },
      'outbox relay stopped with unpublished rows; the next start publishes them');
  }
}
