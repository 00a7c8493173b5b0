import type { NotificationChannel, OutgoingNotification } from './notification-channel.ts';

export interface WebhookChannelOptions {
  url: string;
  /** Per request; must stay well under the dispatcher's claim lease. Default 10 s. */
  timeoutMs?: number;
}

/**
 * POSTs each notification as JSON to a URL. Anything but a 2xx answer (or no
 * answer in time) is a failure, retried by the dispatcher. The notification id
 * goes in `Idempotency-Key`, so a receiver can drop the rare re-send.
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook';
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(options: WebhookChannelOptions) {
    this.#url = options.url;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(notification: OutgoingNotification): Promise<void> {
    const response = await fetch(this.#url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': notification.id },
      body: JSON.stringify(notification),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`webhook ${this.#url} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
}
