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
  /** First attempts in flight at once, each for another object (default 8). */
  concurrency?: number;
}

interface Delivery {
  eventId: string;
  target: WebhookTarget;
  attempts: number;
  /** The object whose events keep their order (a payment intent, with its charges and refunds). */
  orderKey: string;
}

/**
 * Delivers events to the webhook endpoint at least once, like Stripe: signed
 * POSTs, retried with exponential backoff until a 2xx or the attempts run out.
 * First attempts keep the event order of each object — one at a time per payment
 * intent, so the out-of-order knob is observable against a faithful baseline —
 * and go out side by side for different objects, a few at a time: one at a time
 * for everything, the queue fell behind a busy endpoint for good (an embedded
 * process kept answering webhooks minutes after its load ended, its memory
 * growing). Retries run on their own timers. Nothing here is awaited by an API
 * request.
 */
export class WebhookDispatcher {
  private readonly options: WebhookDispatcherOptions;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private readonly firstAttempts: Delivery[] = [];
  /** Objects with a first attempt in flight: their next events wait. */
  private readonly busyKeys = new Set<string>();
  private shuffleWindow: Delivery[] | null = null;
  private waiters: (() => void)[] = [];
  private pending = 0;
  private running = 0;
  private closed = false;

  constructor(options: WebhookDispatcherOptions) {
    this.options = options;
  }

  /** Deliveries not finished yet: delayed, queued, in flight or waiting for a retry. */
  get pendingCount(): number {
    return this.pending;
  }

  /** `orderKey`: the object whose events must arrive in order (by default each event is its own). */
  enqueue(eventId: string, target: WebhookTarget, orderKey: string = eventId): void {
    if (this.closed) return;
    const { faults, random, stats } = this.options;
    const current = faults();
    if (roll(current.webhookDropRate, random)) {
      stats.faultsInjected.dropped++;
      return;
    }
    const copies = roll(current.webhookDuplicateRate, random) ? 2 : 1;
    if (copies === 2) stats.faultsInjected.duplicates++;
    const deliveries = Array.from({ length: copies }, () => ({ eventId, target, attempts: 0, orderKey }));
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
    this.busyKeys.clear();
    this.shuffleWindow = null;
    this.pending = 0;
    this.notifySettled();
  }

  private admit(deliveries: readonly Delivery[]): void {
    const current = this.options.faults();
    if (!current.webhookOutOfOrder) {
      this.firstAttempts.push(...deliveries);
      this.drain();
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
    this.drain();
  }

  /** Starts the oldest first attempts whose object has none in flight, up to the concurrency. */
  private drain(): void {
    const limit = this.options.concurrency ?? 8;
    while (this.running < limit && !this.closed) {
      const index = this.firstAttempts.findIndex((delivery) => !this.busyKeys.has(delivery.orderKey));
      if (index < 0) return;
      const [next] = this.firstAttempts.splice(index, 1);
      if (next === undefined) return;
      this.busyKeys.add(next.orderKey);
      this.running++;
      void this.attempt(next).finally(() => {
        this.busyKeys.delete(next.orderKey);
        this.running--;
        this.drain();
      });
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
