import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import type { SchemaMigration } from '../database/migrations.ts';

export const SAGA_STATUSES = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED'] as const;
export type SagaStatus = typeof SAGA_STATUSES[number];

export interface SagaInstancesTable {
  id: string;
  saga_type: string;
  order_id: string;
  status: SagaStatus;
  /** Index of the step running (forward) or being undone (compensating). */
  step_index: number;
  /** The command whose reply the saga waits for; replies to anything else are stale. */
  awaiting_command_id: string | null;
  data: string;
  failure_reason: string | null;
  /** Durable deadline of the current wait (payment outcome, or the next compensation retry). */
  deadline_at: Date | null;
  attempts: number;
  version: number;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: Date;
}

export interface SagaStepLogTable {
  id: Generated<bigint>;
  saga_id: string;
  step: string;
  /**
   * command-sent, command-resent, succeeded, failed, event, waiting, skipped, timeout, retry, gave-up, abandoned,
   * compensation-sent, compensation-resent, compensation-failed, compensated, compensation-abandoned, completed, compensated-all, failed
   */
  kind: string;
  detail: string | null;
  at: ColumnType<Date, Date | undefined, never>;
}

/** Awaited events that arrived before their saga reached the step that waits for them (different topics, no order between them). */
export interface SagaEarlyEventsTable {
  id: Generated<bigint>;
  saga_id: string;
  event_type: string;
  envelope: string;
  at: ColumnType<Date, Date | undefined, never>;
}

export interface SagaTables {
  saga_instances: SagaInstancesTable;
  saga_step_log: SagaStepLogTable;
  saga_early_events: SagaEarlyEventsTable;
}

export function sagaDb(db: Kysely<unknown>, schema: string): Kysely<SagaTables> {
  return (db as unknown as Kysely<SagaTables>).withSchema(schema);
}

export const sagaMigrations: Record<string, SchemaMigration> = {
  '0100_saga_instances_and_step_log': async (db, schema) => {
    const s = sql.id(schema);
    await sql`create table ${s}.saga_instances (
      id text primary key,
      saga_type text not null,
      order_id text not null,
      status text not null,
      step_index integer not null,
      awaiting_command_id text,
      data text not null,
      failure_reason text,
      deadline_at timestamptz,
      attempts integer not null default 0,
      version integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
    await sql`create index saga_instances_by_order on ${s}.saga_instances (order_id)`.execute(db);
    await sql`create index saga_instances_due on ${s}.saga_instances (deadline_at) where deadline_at is not null`.execute(db);
    await sql`create table ${s}.saga_step_log (
      id bigserial primary key,
      saga_id text not null references ${s}.saga_instances (id),
      step text not null,
      kind text not null,
      detail text,
      at timestamptz not null default now()
    )`.execute(db);
    await sql`create index saga_step_log_by_saga on ${s}.saga_step_log (saga_id, id)`.execute(db);
    await sql`create table ${s}.saga_early_events (
      id bigserial primary key,
      saga_id text not null references ${s}.saga_instances (id),
      event_type text not null,
      envelope text not null,
      at timestamptz not null default now()
    )`.execute(db);
    await sql`create index saga_early_events_by_saga on ${s}.saga_early_events (saga_id, id)`.execute(db);
  },
  // Client secrets once came with the CreatePayment reply; they belong to the payment service and its paying customer only.
  '0101_saga_data_without_client_secrets': async (db, schema) => {
    const s = sql.id(schema);
    const withoutSecret = (text: string): string => JSON.stringify(JSON.parse(text, (key, value: unknown) => (key === 'clientSecret' ? undefined : value)));
    const sagas = await sql<{ id: string; data: string }>`select id, data from ${s}.saga_instances where data like '%"clientSecret"%'`.execute(db);
    for (const row of sagas.rows) await sql`update ${s}.saga_instances set data = ${withoutSecret(row.data)} where id = ${row.id}`.execute(db);
    const entries = await sql<{ id: string; detail: string }>`select id, detail from ${s}.saga_step_log where detail like '%"clientSecret"%'`.execute(db);
    for (const row of entries.rows) await sql`update ${s}.saga_step_log set detail = ${withoutSecret(row.detail)} where id = ${row.id}`.execute(db);
  },
  // Metrics read the sagas still running on every scrape (stuck sagas, money at risk): only those, however many have ended.
  '0110_saga_instances_active': async (db, schema) => {
    await sql`create index saga_instances_active on ${sql.id(schema)}.saga_instances (saga_type) where status in ('RUNNING', 'COMPENSATING')`.execute(db);
  },
  // The change feed (the dashboard's live stream) reads the sagas changed since its cursor; the admin list reads the newest.
  '0120_saga_instances_by_updated_at': async (db, schema) => {
    await sql`create index saga_instances_by_updated_at on ${sql.id(schema)}.saga_instances (updated_at)`.execute(db);
    await sql`create index saga_instances_by_created_at on ${sql.id(schema)}.saga_instances (created_at)`.execute(db);
  },
};
