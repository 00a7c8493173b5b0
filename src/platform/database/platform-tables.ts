import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import { idempotencyKeysMigration, scopedIdempotencyKeysMigration } from '../http/idempotency-keys.ts';
import type { SchemaMigration } from './migrations.ts';

/** Tables the platform keeps in every service's schema: the outbox, the inbox and the dead letters. */
export interface OutboxTable {
  id: Generated<bigint>;
  topic: string;
  key: string;
  value: Buffer;
  /** JSON object of string headers. */
  headers: string;
  event_id: string | null;
  created_at: ColumnType<Date, never, never>;
  published_at: ColumnType<Date | null, never, Date>;
}

export interface InboxTable {
  consumer_group: string;
  event_id: string;
  topic: string;
  processed_at: ColumnType<Date, never, never>;
}

export type DeadLetterStatus = 'pending' | 'replayed' | 'resolved' | 'discarded';

export interface DeadLetterTable {
  id: Generated<bigint>;
  consumer_group: string;
  topic: string;
  partition: number;
  offset: bigint;
  key: string;
  event_id: string | null;
  event_type: string | null;
  value: Buffer;
  headers: string;
  reason: string;
  error: string;
  stack: string | null;
  attempts: number;
  status: ColumnType<DeadLetterStatus, DeadLetterStatus | undefined, DeadLetterStatus>;
  note: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}

export interface PlatformTables {
  outbox: OutboxTable;
  inbox: InboxTable;
  dead_letters: DeadLetterTable;
}

export type PlatformDb = Kysely<PlatformTables>;

/** The platform's tables in one service schema. */
export const platformMigrations: Record<string, SchemaMigration> = {
  '0000_platform_outbox_inbox_dead_letters': async (db, schema) => {
    const s = sql.id(schema);
    await sql`create table ${s}.outbox (
      id bigserial primary key,
      topic text not null,
      key text not null,
      value bytea not null,
      headers text not null,
      event_id text,
      created_at timestamptz not null default now(),
      published_at timestamptz
    )`.execute(db);
    await sql`create index outbox_unpublished on ${s}.outbox (id) where published_at is null`.execute(db);
    await sql`create table ${s}.inbox (
      consumer_group text not null,
      event_id text not null,
      topic text not null,
      processed_at timestamptz not null default now(),
      primary key (consumer_group, event_id)
    )`.execute(db);
    await sql`create table ${s}.dead_letters (
      id bigserial primary key,
      consumer_group text not null,
      topic text not null,
      partition integer not null,
      "offset" bigint not null,
      key text not null,
      event_id text,
      event_type text,
      value bytea not null,
      headers text not null,
      reason text not null,
      error text not null,
      stack text,
      attempts integer not null,
      status text not null default 'pending' check (status in ('pending', 'replayed', 'resolved', 'discarded')),
      note text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
    await sql`create index dead_letters_by_status on ${s}.dead_letters (status, id)`.execute(db);
  },
  '0001_platform_http_idempotency_keys': idempotencyKeysMigration,
  '0002_platform_http_idempotency_keys_per_caller': scopedIdempotencyKeysMigration,
  // The change feed (the dashboard's live stream) reads the dead letters changed since its cursor.
  '0010_platform_dead_letters_by_updated_at': async (db, schema) => {
    await sql`create index dead_letters_by_updated_at on ${sql.id(schema)}.dead_letters (updated_at)`.execute(db);
  },
  // The retention pass deletes by age (database/retention.ts). BRIN: rows arrive in time order, so a few pages per
  // range of blocks find the old ones, and an insert costs next to nothing (a btree would be one more per event).
  '0011_platform_bookkeeping_by_age': async (db, schema) => {
    const s = sql.id(schema);
    await sql`create index inbox_by_processed_at on ${s}.inbox using brin (processed_at)`.execute(db);
    await sql`create index idempotency_keys_by_claimed_at on ${s}.idempotency_keys using brin (claimed_at)`.execute(db);
  },
};

/** Narrows an untyped connection (or transaction) to the platform tables of one schema. */
export function platformDb(db: Kysely<unknown>, schema: string): PlatformDb {
  return (db as unknown as PlatformDb).withSchema(schema);
}
