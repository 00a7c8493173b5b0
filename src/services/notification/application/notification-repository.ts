import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { NotificationKind } from '../channels/notification-channel.ts';
import { notificationDb } from '../store/tables.ts';
import type { NotificationRow } from './notification-view.ts';

const newNotificationId = (): string => `ntf_${randomBytes(12).toString('hex')}`;

/** The database's clock plus `ms`: every instance schedules by the same clock. */
const inMs = (ms: number): RawBuilder<Date> => sql<Date>`now() + ${Math.max(0, Math.round(ms))} * interval '1 millisecond'`;

export interface NewNotification {
  orderId: string;
  customerId: string;
  kind: NotificationKind;
  message: string;
  channel: string;
  correlationId: string;
}

/**
 * Records a notification once per (order, kind, saga) — the correlation id is
 * the saga's — in the caller's transaction.
 * Returns its id and whether this call recorded it (false: it already existed).
 */
export async function recordNotification(trx: Kysely<unknown>, schema: string, input: NewNotification): Promise<{ id: string; recorded: boolean }> {
  const notifications = notificationDb(trx, schema);
  const now = new Date();
  const inserted = await notifications.insertInto('notifications').values({
    id: newNotificationId(), order_id: input.orderId, customer_id: input.customerId, kind: input.kind, channel: input.channel,
    message: input.message, status: 'pending', attempts: 0, last_error: null, correlation_id: input.correlationId,
    sent_at: null, updated_at: now,
  }).onConflict((conflict) => conflict.columns(['order_id', 'kind', 'correlation_id']).doNothing()).returning('id').executeTakeFirst();
  if (inserted) return { id: inserted.id, recorded: true };
  const existing = await notifications.selectFrom('notifications').select('id')
    .where('order_id', '=', input.orderId).where('kind', '=', input.kind).where('correlation_id', '=', input.correlationId).executeTakeFirstOrThrow();
  return { id: existing.id, recorded: false };
}

/**
 * Takes a due, pending notification for one attempt: counts the attempt and
 * pushes its next chance `leaseMs` away, in one statement, so of several
 * dispatchers (a post-commit trigger, the retry loop, other instances) exactly
 * one wins. If the winner dies mid-send, the lease runs out and it is retried.
 */
export function claimNotification(db: Kysely<unknown>, schema: string, id: string, leaseMs: number): Promise<NotificationRow | undefined> {
  return notificationDb(db, schema).updateTable('notifications')
    .set({ attempts: sql`attempts + 1`, next_attempt_at: inMs(leaseMs), updated_at: new Date() })
    .where('id', '=', id).where('status', '=', 'pending').where('next_attempt_at', '<=', sql<Date>`now()`)
    .returningAll().executeTakeFirst();
}

export async function markSent(db: Kysely<unknown>, schema: string, id: string): Promise<void> {
  await notificationDb(db, schema).updateTable('notifications')
    .set({ status: 'sent', sent_at: new Date(), last_error: null, updated_at: new Date() })
    .where('id', '=', id).where('status', '=', 'pending').execute();
}

/** A failed attempt: retry later, or give up. Only the claim that made the attempt may record it (a newer claim owns the row). */
export async function markAttemptFailed(
  db: Kysely<unknown>, schema: string, claimed: NotificationRow, verdict: { status: 'pending'; retryInMs: number; error: string } | { status: 'failed'; error: string },
): Promise<void> {
  const error = verdict.error.slice(0, 1_000);
  await notificationDb(db, schema).updateTable('notifications')
    .set(verdict.status === 'pending'
      ? { last_error: error, next_attempt_at: inMs(verdict.retryInMs), updated_at: new Date() }
      : { status: 'failed', last_error: error, updated_at: new Date() })
    .where('id', '=', claimed.id).where('status', '=', 'pending').where('attempts', '=', claimed.attempts).execute();
}

/** Pending notifications whose time has come, oldest first. */
export async function dueNotifications(db: Kysely<unknown>, schema: string, limit: number): Promise<string[]> {
  const rows = await notificationDb(db, schema).selectFrom('notifications').select('id')
    .where('status', '=', 'pending').where('next_attempt_at', '<=', sql<Date>`now()`)
    .orderBy('next_attempt_at').limit(limit).execute();
  return rows.map((row) => row.id);
}

export function notificationsOfOrder(db: Kysely<unknown>, schema: string, orderId: string): Promise<NotificationRow[]> {
  return notificationDb(db, schema).selectFrom('notifications').selectAll().where('order_id', '=', orderId).orderBy('created_at').orderBy('id').execute();
}
