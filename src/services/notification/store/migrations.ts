import { sql } from 'kysely';
import type { SchemaMigration } from '../../../platform/database/migrations.ts';
import { platformMigrations } from '../../../platform/database/platform-tables.ts';

/** The notification service's schema: the platform tables plus the notifications it recorded and sent. */
export const notificationMigrations: Record<string, SchemaMigration> = {
  ...platformMigrations,
  '1000_notifications': async (db, schema) => {
    const s = sql.id(schema);
    await sql`create table ${s}.notifications (
      id text primary key,
      order_id text not null,
      customer_id text not null,
      kind text not null,
      channel text not null,
      message text not null,
      status text not null check (status in ('pending', 'sent', 'failed')),
      attempts integer not null default 0 check (attempts >= 0),
      last_error text,
      next_attempt_at timestamptz not null default now(),
      correlation_id text not null,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      updated_at timestamptz not null default now(),
      unique (order_id, kind)
    )`.execute(db);
    await sql`create index notifications_due on ${s}.notifications (next_attempt_at) where status = 'pending'`.execute(db);
  },
  // Once per saga, not per order: a partial refund and a later cancellation of one order are two notices, both told.
  '1001_notifications_once_per_saga': async (db, schema) => {
    const table = sql.table(`${schema}.notifications`);
    await sql`alter table ${table} drop constraint notifications_order_id_kind_key`.execute(db);
    await sql`alter table ${table} add constraint notifications_once_per_saga unique (order_id, kind, correlation_id)`.execute(db);
  },
};
