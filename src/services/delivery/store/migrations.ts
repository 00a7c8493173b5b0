import { sql } from 'kysely';
import type { SchemaMigration } from '../../../platform/database/migrations.ts';
import { platformMigrations } from '../../../platform/database/platform-tables.ts';

/** The delivery service's schema: the platform tables plus deliveries, their status history and refused orders. */
export const deliveryMigrations: Record<string, SchemaMigration> = {
  ...platformMigrations,
  '1000_deliveries': async (db, schema) => {
    const s = sql.id(schema);
    await sql`create table ${s}.deliveries (
      id text primary key,
      order_id text not null unique,
      customer_id text not null,
      address text not null,
      status text not null check (status in ('CREATED', 'COURIER_ASSIGNED', 'PICKED_UP', 'DELIVERED', 'CANCELLED')),
      courier_id text,
      cancel_reason text,
      correlation_id text not null,
      traceparent text not null,
      version integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (status in ('CREATED', 'CANCELLED') or courier_id is not null)
    )`.execute(db);
    await sql`create table ${s}.delivery_status_history (
      id bigserial primary key,
      delivery_id text not null references ${s}.deliveries (id),
      status text not null,
      courier_id text,
      reason text,
      occurred_at timestamptz not null default now()
    )`.execute(db);
    await sql`create index delivery_status_history_by_delivery on ${s}.delivery_status_history (delivery_id, id)`.execute(db);
    await sql`create table ${s}.delivery_refusals (
      order_id text primary key,
      reason text not null,
      refused_at timestamptz not null default now()
    )`.execute(db);
  },
  // The restaurant of the order, so it may see its orders' deliveries (null for deliveries made before it was kept).
  '1001_delivery_restaurant': async (db, schema) => {
    await sql`alter table ${sql.id(schema)}.deliveries add column restaurant_id text`.execute(db);
  },
};
