import { sql } from 'kysely';
import { ORDER_STATUSES } from '../../../contracts/events/order.ts';
import type { SchemaMigration } from '../../../platform/database/migrations.ts';
import { platformMigrations } from '../../../platform/database/platform-tables.ts';

const statusList = sql.join(ORDER_STATUSES.map((status) => sql.lit(status)));

/** The order service's schema: the platform tables plus orders, their status history, and checkouts abandoned before their order existed. */
export const orderMigrations: Record<string, SchemaMigration> = {
  ...platformMigrations,
  '1000_orders': async (db, schema) => {
    const s = sql.id(schema);
    await sql`create table ${s}.orders (
      id text primary key,
      customer_id text not null,
      restaurant_id text not null,
      items jsonb not null check (jsonb_typeof(items) = 'array'),
      total_amount integer not null check (total_amount >= 0),
      currency text not null,
      delivery_address text not null,
      status text not null check (status in (${statusList})),
      payment_id text,
      cancel_reason text,
      correlation_id text not null,
      traceparent text not null,
      version integer not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
    await sql`create index orders_by_customer on ${s}.orders (customer_id, created_at)`.execute(db);
    await sql`create index orders_by_status on ${s}.orders (status, created_at)`.execute(db);
    await sql`create table ${s}.order_status_history (
      order_id text not null references ${s}.orders (id),
      seq integer not null,
      from_status text check (from_status in (${statusList})),
      to_status text not null check (to_status in (${statusList})),
      reason text,
      at timestamptz not null default now(),
      primary key (order_id, seq)
    )`.execute(db);
    await sql`create table ${s}.cancelled_before_creation (
      order_id text primary key,
      outcome text not null check (outcome in ('PAYMENT_FAILED', 'CANCELLED')),
      reason text not null,
      at timestamptz not null default now()
    )`.execute(db);
  },
};
