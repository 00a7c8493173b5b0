import { roll } from './faults.ts';
import { unixSeconds } from './ids.ts';
import type { GatewayFaults, GatewaySimulatorStats, WebhookRetryPolicy } from './types.ts';
import { stripeSignatureHeader } from './webhook-signature.ts';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface WebhookDispatcherOptions {
  retry: WebhookRetryPolicy;
  faults: () => GatewayFaults;
  random: () => number;
  stats: GatewaySimulatorStats;
  /** The event's JSON as it is sent now (pending_webhooks is live); undefined if it no longer exists. */
  payloadOf: (eventId: string) => string | undefined;
  /** The endpoint acknowledged the event with a 2xx. */
  onDelivered: (eventId: string) => void;
  /** How long one delivery attempt may take before it counts as failed. */
  attemptTimeoutMs?: number;
}

interface Delivery {
  eventId: string;
  target: WebhookTarget;
  attempts: number;
}

/**
 * Delivers events to the webhook endpoint at least once, like Stripe: signed
 * POSTs, retried with exponential backoff until a 2xx or the attempts run out.
 * First attempts go out one at a time in event order (so the out-of-order knob
 * is observable against a faithful baseline); retries run on their own timers.
 * Nothing here is awaited by an API request.
 */
export class WebhookDispatcher {
  private readonly options: WebhookDispatcherOptions;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private readonly firstAttempts: Delivery[] = [];
  private shuffleWindow: Delivery[] | null = null;
  private waiters: (() => void)[] = [];
  private pending = 0;
  private draining = false;
  private closed = false;

  constructor(options: WebhookDispatcherOptions) {
    this.options = options;
  }

  /** Deliveries not finished yet: delayed, queued, in flight or waiting for a retry. */
  get pendingCount(): number {
    return this.pending;
  }

  enqueue(eventId: string, target: WebhookTarget): void {
    if (this.closed) return;
    const { faults, random, stats } = this.options;
    const current = faults();
    if (roll(current.webhookDropRate, random)) {
      stats.faultsInjected.dropped++;
      return;
    }
    const copies = roll(current.webhookDuplicateRate, random) ? 2 : 1;
    if (copies === 2) stats.faultsInjected.duplicates++;
    const deliveries = Array.from({ length: copies }, () => ({ eventId, target, attempts: 0 }));
    this.pending += deliveries.length;
    if (current.webhookDelayMs > 0) this.schedule(current.webhookDelayMs, () => this.admit(deliveries));
    else this.admit(deliveries);
  }

  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cancels every pending delivery and timer, so the process can exit. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
    this.firstAttempts.length = 0;
    this.shuffleWindow = null;
    this.pending = 0;
    this.notifySettled();
  }

  private admit(deliveries: readonly Delivery[]): void {
    const current = this.options.faults();
    if (!current.webhookOutOfOrder) {
      this.firstAttempts.push(...deliveries);
      void this.drain();
      return;
    }
    if (this.shuffleWindow === null) {
      this.shuffleWindow = [];
      this.schedule(current.webhookBatchWindowMs, () => this.flushShuffleWindow());
    }
    this.shuffleWindow.push(...deliveries);
  }

  private flushShuffleWindow(): void {
    const batch = this.shuffleWindow ?? [];
    this.shuffleWindow = null;
    // Fisher–Yates with the injected random, so tests can choose the order.
    for (let index = batch.length - 1; index > 0; index--) {
      const other = Math.floor(this.options.random() * (index + 1));
      const swap = batch[index];
      const pick = batch[other];
      if (swap === undefined || pick === undefined) continue;
      batch[index] = pick;
      batch[other] = swap;
    }
    this.firstAttempts.push(...batch);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.firstAttempts.shift(); next !== undefined && !this.closed; next = this.firstAttempts.shift()) {
        await this.attempt(next);
      }
    } finally {
      this.draining = false;
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    if (this.closed) return;
    const { stats, retry } = this.options;
    delivery.attempts++;
    stats.webhookAttempts++;
    const payload = this.options.payloadOf(delivery.eventId);
    const delivered = payload !== undefined && await this.post(delivery.target, payload);
    if (this.closed) return;
    if (delivered) {
      stats.webhooksDelivered++;
      this.options.onDelivered(delivery.eventId);
      this.finish();
    } else if (payload === undefined || delivery.attempts >= retry.attempts) {
      stats.webhooksFailed++;
      this.finish();
    } else {
      const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (delivery.attempts - 1));
      this.schedule(delay, () => void this.attempt(delivery));
    }
  }

  /** One signed POST; true on a 2xx. A fresh timestamp and signature every attempt, as Stripe does. */
  private async post(target: WebhookTarget, payload: string): Promise<boolean> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Stripe-Signature': stripeSignatureHeader(payload, target.secret, unixSeconds()),
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks; paysaga gateway simulator)',
        },
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(this.options.attemptTimeoutMs ?? 10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined); // not logged: the body of a webhook answer is drained, never read; only the status counts
      return response.status >= 200 && response.status < 300;
    } catch {
      // not logged: refused, reset, timed out or aborted by close() is a failed attempt, recorded as such in the event log
      return false;
    } finally {
      this.inFlight.delete(controller);
    }
  }

  private schedule(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, ms);
    this.timers.add(timer);
  }

  private finish(): void {
    this.pending = Math.max(0, this.pending - 1);
    if (this.pending === 0) this.notifySettled();
  }

  private notifySettled(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
