import { sql } from 'kysely';
import type { SchemaMigration } from '../../../platform/database/migrations.ts';
import { platformMigrations } from '../../../platform/database/platform-tables.ts';

/** The payment service's schema: the platform tables plus payments, refunds, webhook receipts and gateway errors. */
export const paymentMigrations: Record<string, SchemaMigration> = {
  ...platformMigrations,
  '1000_payments': async (db, schema) => {
    const s = sql.id(schema);
    await sql`create table ${s}.payments (
      id text primary key,
      order_id text not null,
      customer_id text not null,
      amount integer not null check (amount > 0),
      currency text not null,
      status text not null,
      description text,
      stripe_payment_intent_id text unique,
      client_secret text,
      payment_method text,
      stripe_charge_id text,
      receipt_url text,
      next_action_url text,
      failure_code text,
      decline_code text,
      failure_reason text,
      cancel_reason text,
      amount_refunded integer not null default 0,
      refund_pending integer not null default 0,
      correlation_id text not null,
      causation_id text,
      traceparent text not null,
      version integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (amount_refunded >= 0 and refund_pending >= 0 and amount_refunded + refund_pending <= amount)
    )`.execute(db);
    await sql`create index payments_by_order on ${s}.payments (order_id)`.execute(db);
    await sql`create index payments_unsettled on ${s}.payments (updated_at) where status in ('PENDING', 'PROCESSING')`.execute(db);
    await sql`create table ${s}.refunds (
      id text primary key,
      payment_id text not null references ${s}.payments (id),
      refund_request_id text not null unique,
      amount integer not null check (amount > 0),
      currency text not null,
      reason text not null,
      status text not null check (status in ('pending', 'succeeded', 'failed')),
      stripe_refund_id text unique,
      failure_reason text,
      correlation_id text not null,
      causation_id text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
    await sql`create index refunds_pending on ${s}.refunds (updated_at) where status = 'pending'`.execute(db);
    await sql`create table ${s}.webhook_receipts (
      stripe_event_id text primary key,
      type text not null,
      payment_id text,
      outcome text not null,
      received_at timestamptz not null default now()
    )`.execute(db);
    await sql`create table ${s}.gateway_errors (
      id bigserial primary key,
      operation text not null,
      payment_id text,
      refund_id text,
      idempotency_key text,
      attempt integer not null,
      error_type text not null,
      error_code text,
      decline_code text,
      http_status integer,
      message text not null,
      retryable boolean not null,
      occurred_at timestamptz not null default now()
    )`.execute(db);
    await sql`create index gateway_errors_recent on ${s}.gateway_errors (occurred_at)`.execute(db);
  },
  // Who an order belongs to, as this service learns it: customers pay only for their own orders, restaurants see their orders' payments.
  '1001_order_parties': async (db, schema) => {
    await sql`create table ${sql.id(schema)}.order_parties (
      order_id text primary key,
      customer_id text not null,
      restaurant_id text
    )`.execute(db);
  },
  // The operator's payment list (the dashboard) reads the newest payments.
  '1010_payments_by_created_at': async (db, schema) => {
    await sql`create index payments_by_created_at on ${sql.id(schema)}.payments (created_at)`.execute(db);
  },
  // Webhook receipts age out (payment-service.ts, retention): found by age without a btree on every receipt.
  '1011_webhook_receipts_by_received_at': async (db, schema) => {
    await sql`create index webhook_receipts_by_received_at on ${sql.id(schema)}.webhook_receipts using brin (received_at)`.execute(db);
  },
};
