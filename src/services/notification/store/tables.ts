import type { ColumnType, Kysely } from 'kysely';
import type { NotificationKind } from '../channels/notification-channel.ts';
import type { NotificationStatus } from '../domain/send-attempts.ts';

export interface NotificationsTable {
  id: string;
  order_id: string;
  customer_id: string;
  kind: NotificationKind;
  /** The channel it was recorded for (log, webhook, …). */
  channel: string;
  message: string;
  status: NotificationStatus;
  /** Attempts claimed so far (a claim counts even if the process died before it finished). */
  attempts: number;
  last_error: string | null;
  /** When the dispatcher may (next) claim it: now for a new one, later after a failure, a lease while a send is under way. */
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  correlation_id: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  sent_at: Date | null;
  updated_at: Date;
}

export interface NotificationTables {
  notifications: NotificationsTable;
}

export type NotificationDb = Kysely<NotificationTables>;

export function notificationDb(db: Kysely<unknown>, schema: string): NotificationDb {
  return (db as unknown as NotificationDb).withSchema(schema);
}
