import { sql } from 'kysely';
import type { SchemaMigration } from '../../../platform/database/migrations.ts';
import { platformMigrations } from '../../../platform/database/platform-tables.ts';

/** The inventory service's schema: the platform tables plus products, stock, reservations (with their lines) and refusals. */
export const inventoryMigrations: Record<string, SchemaMigration> = {
  ...platformMigrations,
  '1000_inventory': async (db, schema) => {
    const s = sql.id(schema);
    await sql`create table ${s}.products (
      id text primary key,
      restaurant_id text not null,
      name text not null,
      unit_price integer not null check (unit_price > 0 and unit_price <= 99999999),
      currency text not null,
      active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
    await sql`create index products_by_restaurant on ${s}.products (restaurant_id, id)`.execute(db);
    await sql`create table ${s}.stock (
      product_id text primary key references ${s}.products (id),
      on_hand integer not null check (on_hand >= 0),
      reserved integer not null check (reserved >= 0),
      stocked integer not null check (stocked >= 0),
      version integer not null default 0,
      updated_at timestamptz not null default now(),
      check (reserved <= on_hand)
    )`.execute(db);
    await sql`create table ${s}.reservations (
      order_id text primary key,
      status text not null check (status in ('held', 'committed', 'released')),
      reason text,
      correlation_id text not null,
      committed_at timestamptz,
      released_at timestamptz,
      version integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
    await sql`create table ${s}.reservation_lines (
      order_id text not null references ${s}.reservations (order_id),
      product_id text not null references ${s}.products (id),
      quantity integer not null check (quantity > 0),
      primary key (order_id, product_id)
    )`.execute(db);
    await sql`create index reservation_lines_by_product on ${s}.reservation_lines (product_id)`.execute(db);
    await sql`create table ${s}.reservation_refusals (
      order_id text primary key,
      reason text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  },
};
