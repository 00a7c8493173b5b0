import { Gauge, type Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import { platformDb } from '../database/platform-tables.ts';
import type { ScrapeSource } from './scrape-source.ts';

/** Counting stops here: a backlog this large reads as "at least", and the scrape stays cheap however big it grows. */
export const COUNT_CAP = 100_000;

export interface OutboxState {
  backlog: number;
  oldestAgeSeconds: number;
}

export interface DeadLetterCount {
  group: string;
  topic: string;
  reason: string;
  count: number;
}

/** Unpublished rows (capped) and the age of the oldest, both from the partial index on unpublished rows. */
export async function readOutbox(db: Kysely<unknown>, schema: string): Promise<OutboxState> {
  const outbox = platformDb(db, schema);
  const [count, oldest] = await Promise.all([
    outbox.selectFrom((eb) => eb.selectFrom('outbox').select('id').where('published_at', 'is', null).limit(COUNT_CAP).as('unpublished'))
      .select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirst(),
    outbox.selectFrom('outbox').select('created_at').where('published_at', 'is', null).orderBy('id').limit(1).executeTakeFirst(),
  ]);
  return { backlog: Number(count?.count ?? 0), oldestAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.created_at.getTime()) / 1_000) : 0 };
}

/** Pending dead letters by consumer group, topic and reason (capped, from the index on status). */
export async function readPendingDeadLetters(db: Kysely<unknown>, schema: string): Promise<DeadLetterCount[]> {
  const rows = await platformDb(db, schema)
    .selectFrom((eb) => eb.selectFrom('dead_letters').select(['consumer_group', 'topic', 'reason']).where('status', '=', 'pending').limit(COUNT_CAP).as('pending'))
    .select(['consumer_group', 'topic', 'reason', (eb) => eb.fn.countAll<string>().as('count')])
    .groupBy(['consumer_group', 'topic', 'reason']).execute();
  return rows.map((row) => ({ group: row.consumer_group, topic: row.topic, reason: row.reason, count: Number(row.count) }));
}

export interface WatchedSchema {
  schema: string;
  outbox: ScrapeSource<OutboxState>;
  deadLetters: ScrapeSource<DeadLetterCount[]>;
}

export function registerOutboxGauges(registry: Registry, schemas: () => readonly WatchedSchema[]): void {
  const registers = [registry];
  const outboxStates = () => Promise.all(schemas().map(async (watched) => ({ schema: watched.schema, state: await watched.outbox.get() })));
  new Gauge({
    name: 'paysaga_outbox_backlog', help: `Outbox rows not yet published, by service schema (counted up to ${COUNT_CAP})`, labelNames: ['schema'], registers,
    async collect() {
      this.reset();
      for (const { schema, state } of await outboxStates()) if (state) this.set({ schema }, state.backlog);
    },
  });
  new Gauge({
    name: 'paysaga_outbox_oldest_age_seconds', help: 'Age of the oldest unpublished outbox row (0 when the outbox is empty), by service schema', labelNames: ['schema'], registers,
    async collect() {
      this.reset();
      for (const { schema, state } of await outboxStates()) if (state) this.set({ schema }, state.oldestAgeSeconds);
    },
  });
  new Gauge({
    name: 'paysaga_dead_letters_pending', help: `Dead letters waiting for an operator (replay, resolve, discard), by consumer group, original topic and reason (counted up to ${COUNT_CAP} per schema)`,
    labelNames: ['group', 'topic', 'reason'], registers,
    async collect() {
      this.reset();
      const all = await Promise.all(schemas().map((watched) => watched.deadLetters.get()));
      for (const counts of all) for (const { group, topic, reason, count } of counts ?? []) this.inc({ group, topic, reason }, count);
    },
  });
}
