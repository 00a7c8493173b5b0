import type { Selectable } from 'kysely';
import type { NotificationKind, OutgoingNotification } from '../channels/notification-channel.ts';
import type { NotificationStatus } from '../domain/send-attempts.ts';
import type { NotificationsTable } from '../store/tables.ts';

export type NotificationRow = Selectable<NotificationsTable>;

/** What the API (and tests) see of a notification. */
export interface NotificationView {
  id: string;
  orderId: string;
  customerId: string;
  kind: NotificationKind;
  channel: string;
  message: string;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export function notificationViewOf(row: NotificationRow): NotificationView {
  return {
    id: row.id, orderId: row.order_id, customerId: row.customer_id, kind: row.kind, channel: row.channel, message: row.message,
    status: row.status, attempts: row.attempts, lastError: row.last_error, createdAt: row.created_at.toISOString(),
    sentAt: row.sent_at?.toISOString() ?? null,
  };
}

/** What a channel is handed. */
export function outgoingOf(row: NotificationRow): OutgoingNotification {
  return { id: row.id, orderId: row.order_id, customerId: row.customer_id, kind: row.kind, message: row.message, createdAt: row.created_at.toISOString() };
}
