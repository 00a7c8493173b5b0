import type { NOTIFICATION_KINDS } from '../../../contracts/events/saga.ts';

export type NotificationKind = typeof NOTIFICATION_KINDS[number];

/** What a channel is given to deliver: the customer, the order, what to say. */
export interface OutgoingNotification {
  /** Stable across re-sends: a receiver can deduplicate on it. */
  id: string;
  orderId: string;
  customerId: string;
  kind: NotificationKind;
  message: string;
  createdAt: string;
}

/**
 * Where notifications go (a log, a webhook; e-mail or SMS would be more of these).
 * `send` resolves once the channel accepted the notification and rejects if it
 * did not; it may be called again for the same notification after a crash.
 */
export interface NotificationChannel {
  readonly name: string;
  send(notification: OutgoingNotification): Promise<void>;
}
