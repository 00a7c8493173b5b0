import type { Kysely, Selectable } from 'kysely';
import { platformDb, type DeadLetterStatus, type DeadLetterTable } from '../database/platform-tables.ts';
import { RetryHeaders, withoutFailureHeaders } from '../messaging/headers.ts';
import { enqueueRecords } from '../outbox/outbox.ts';

export interface DeadLetter {
  id: string;
  consumerGroup: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  eventId: string | null;
  eventType: string | null;
  reason: string;
  error: string;
  stack: string | null;
  attempts: number;
  status: DeadLetterStatus;
  note: string | null;
  value: string;
  headers: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface DeadLetterFilter {
  status?: DeadLetterStatus;
  topic?: string;
  reason?: string;
}

export interface DeadLetterStats {
  total: number;
  byStatus: Record<string, number>;
  pendingByTopic: Record<string, number>;
  pendingByReason: Record<string, number>;
}

export class DeadLetterStateError extends Error {
  override name = 'DeadLetterStateError';
  readonly retriable = false;
}

export class DeadLetterNotFoundError extends Error {
  override name = 'DeadLetterNotFoundError';
  readonly retriable = false;
}

function toDeadLetter(row: Selectable<DeadLetterTable>): DeadLetter {
  return {
    id: String(row.id), consumerGroup: row.consumer_group, topic: row.topic, partition: row.partition,
    offset: String(row.offset), key: row.key, eventId: row.event_id, eventType: row.event_type, reason: row.reason,
    error: row.error, stack: row.stack, attempts: row.attempts, status: row.status, note: row.note,
    value: Buffer.from(row.value).toString('utf8'), headers: JSON.parse(row.headers) as Record<string, string>,
    createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}

/** The dead letters of one service schema: list, statistics, replay, resolve, discard. */
export class DeadLetterStore {
  readonly #db: Kysely<unknown>;
  readonly #schema: string;
  readonly onReplay: (() => void) | undefined;

  constructor(db: Kysely<unknown>, schema: string, onReplay?: () => void) {
    this.#db = db;
    this.#schema = schema;
    this.onReplay = onReplay;
  }

  async list(filter: DeadLetterFilter & { limit?: number } = {}): Promise<DeadLetter[]> {
    let query = platformDb(this.#db, this.#schema).selectFrom('dead_letters').selectAll().orderBy('id', 'desc').limit(filter.limit ?? 100);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.topic) query = query.where('topic', '=', filter.topic);
    if (filter.reason) query = query.where('reason', '=', filter.reason);
    return (await query.execute()).map(toDeadLetter);
  }

  /** How many dead letters match (what a bulk replay will go through). */
  async count(filter: DeadLetterFilter = {}): Promise<number> {
    let query = platformDb(this.#db, this.#schema).selectFrom('dead_letters').select((eb) => eb.fn.countAll<string>().as('count'));
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.topic) query = query.where('topic', '=', filter.topic);
    if (filter.reason) query = query.where('reason', '=', filter.reason);
    return Number((await query.executeTakeFirst())?.count ?? 0);
  }

  async get(id: string): Promise<DeadLetter> {
    const row = /^\d+$/.test(id)
      ? await platformDb(this.#db, this.#schema).selectFrom('dead_letters').selectAll().where('id', '=', BigInt(id)).executeTakeFirst()
      : undefined;
    if (!row) throw new DeadLetterNotFoundError(`no dead letter ${id} in ${this.#schema}`);
    return toDeadLetter(row);
  }

  async stats(): Promise<DeadLetterStats> {
    const rows = await platformDb(this.#db, this.#schema).selectFrom('dead_letters')
      .select(['status', 'topic', 'reason', (eb) => eb.fn.countAll<string>().as('count')])
      .groupBy(['status', 'topic', 'reason']).execute();
    const stats: DeadLetterStats = { total: 0, byStatus: {}, pendingByTopic: {}, pendingByReason: {} };
    for (const row of rows) {
      const count = Number(row.count);
      stats.total += count;
      stats.byStatus[row.status] = (stats.byStatus[row.status] ?? 0) + count;
      if (row.status !== 'pending') continue;
      stats.pendingByTopic[row.topic] = (stats.pendingByTopic[row.topic] ?? 0) + count;
      stats.pendingByReason[row.reason] = (stats.pendingByReason[row.reason] ?? 0) + count;
    }
    return stats;
  }

  /** Puts a pending dead letter back on its original topic (through the outbox), unchanged but for its failure headers. */
  async replay(id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const letter = await this.#pendingForUpdate(trx, id);
      const headers = { ...withoutFailureHeaders(JSON.parse(letter.headers) as Record<string, string>), [RetryHeaders.replayedFrom]: id };
      await enqueueRecords(trx, this.#schema, [{ topic: letter.topic, key: letter.key, value: Buffer.from(letter.value), headers, eventId: letter.event_id }]);
      await this.#setStatus(trx, id, 'replayed', null);
    });
    this.onReplay?.();
  }

  async resolve(id: string, note: string | null = null): Promise<void> {
    await this.#close(id, 'resolved', note);
  }

  async discard(id: string, note: string | null = null): Promise<void> {
    await this.#close(id, 'discarded', note);
  }

  async #close(id: string, status: 'resolved' | 'discarded', note: string | null): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await this.#pendingForUpdate(trx, id);
      await this.#setStatus(trx, id, status, note);
    });
  }

  async #pendingForUpdate(trx: Kysely<unknown>, id: string) {
    if (!/^\d+$/.test(id)) throw new DeadLetterNotFoundError(`no dead letter ${id}`);
    const row = await platformDb(trx, this.#schema).selectFrom('dead_letters').selectAll()
      .where('id', '=', BigInt(id)).forUpdate().executeTakeFirst();
    if (!row) throw new DeadLetterNotFoundError(`no dead letter ${id} in ${this.#schema}`);
    if (row.status !== 'pending') throw new DeadLetterStateError(`dead letter ${id} is ${row.status}, only a pending one can change`);
    return row;
  }

  async #setStatus(trx: Kysely<unknown>, id: string, status: DeadLetterStatus, note: string | null): Promise<void> {
    await platformDb(trx, this.#schema).updateTable('dead_letters').set({ status, note, updated_at: new Date() }).where('id', '=', BigInt(id)).execute();
  }
}
