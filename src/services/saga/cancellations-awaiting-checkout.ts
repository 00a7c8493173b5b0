import { sql, type Kysely } from 'kysely';
import type { Envelope } from '../../contracts/envelope.ts';
import type { SchemaMigration } from '../../platform/database/migrations.ts';

/**
 * An order cancelled while its checkout saga is still finishing (create-delivery, notify-customer) waits here, in
 * the orchestrator's schema, until that saga ends; the transaction that ends it takes the row and decides. Waiting
 * by failing the handler instead (retried in place, then on the retry topic) ran out of retries when the checkout
 * took longer than about a minute, and the cancellation was dead-lettered with the money still captured
 * (found by `paysaga simulate --seed 3 --sagas 40`).
 */
export const cancellationsAwaitingCheckoutMigrations: Record<string, SchemaMigration> = {
  '0200_cancellations_awaiting_checkout': async (db, schema) => {
    await sql`create table ${sql.id(schema)}.cancellations_awaiting_checkout (
      order_id text primary key,
      cancelled text not null,
      at timestamptz not null default now()
    )`.execute(db);
  },
};

/** Keeps the cancellation until the order's checkout saga ends; a redelivered one is kept once. */
export async function awaitCheckoutEnd(trx: Kysely<unknown>, schema: string, orderId: string, cancelled: Envelope): Promise<void> {
  await sql`insert into ${sql.table(`${schema}.cancellations_awaiting_checkout`)} (order_id, cancelled)
    values (${orderId}, ${JSON.stringify(cancelled)}) on conflict (order_id) do nothing`.execute(trx);
}

/** Takes (deletes and returns) the cancellation that waited for the order's checkout, if any. */
export async function takeCancellationAwaitingCheckout<P>(trx: Kysely<unknown>, schema: string, orderId: string): Promise<Envelope<P> | null> {
  const rows = await sql<{ cancelled: string }>`delete from ${sql.table(`${schema}.cancellations_awaiting_checkout`)}
    where order_id = ${orderId} returning cancelled`.execute(trx);
  const row = rows.rows[0];
  return row ? (JSON.parse(row.cancelled) as Envelope<P>) : null;
}
