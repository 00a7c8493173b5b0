import type { NotificationChannel, OutgoingNotification } from '../../../src/services/notification/channels/notification-channel.ts';
import {
  createNotificationService, type NotificationService, type NotificationServiceOptions,
} from '../../../src/services/notification/notification-service.ts';
import { openServiceHarness, type HarnessOptions, type ServiceHarness } from '../delivery/service-harness.ts';

/** A channel that records every send and fails on demand, per order. */
export class RecordingChannel implements NotificationChannel {
  readonly name = 'test';
  readonly calls: OutgoingNotification[] = [];
  /** Order id → how many sends to refuse before accepting (Infinity: always). */
  readonly failures = new Map<string, number>();

  async send(notification: OutgoingNotification): Promise<void> {
    this.calls.push(notification);
    const left = this.failures.get(notification.orderId) ?? 0;
    if (left > 0) {
      this.failures.set(notification.orderId, left - 1);
      throw new Error(`test channel refused ${notification.id}`);
    }
  }

  callsFor(orderId: string): OutgoingNotification[] {
    return this.calls.filter((call) => call.orderId === orderId);
  }
}

/** The notification service on a real broker and PostgreSQL (or the embedded pair), sending through `channel`. */
export function openNotificationHarness(
  options: HarnessOptions & { channel: NotificationChannel; sending?: NotificationServiceOptions['sending'] },
): Promise<ServiceHarness<NotificationService>> {
  return openServiceHarness((base) => createNotificationService({
    ...base, relayPollIntervalMs: 50, channel: options.channel,
    sending: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100, pollIntervalMs: 50, leaseMs: 5_000, ...options.sending },
    retry: { inPlaceAttempts: 2, inPlaceDelayMs: 10, delayedAttempts: 1, initialDelayMs: 100, maxDelayMs: 200 },
  }), options);
}
