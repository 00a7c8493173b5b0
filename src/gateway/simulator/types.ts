/** Fault knobs: every rate is a probability in [0, 1], every duration is in milliseconds. */
export interface GatewayFaults {
  /** Added to every API response. */
  latencyMs: number;
  /** Plus a random 0..jitter on top of latencyMs. */
  latencyJitterMs: number;
  /** A request answered 500 api_error without executing (nothing stored). */
  errorRate: number;
  /** A request that executes (its idempotent result is stored) but whose response is held, then its socket destroyed. */
  timeoutRate: number;
  /** How long a timed-out response is held before the socket is destroyed. */
  timeoutHoldMs: number;
  /** Probability that an event is delivered twice. */
  webhookDuplicateRate: number;
  /** Deliver the events of each short window (webhookBatchWindowMs) in shuffled order. */
  webhookOutOfOrder: boolean;
  /** The window whose events are shuffled when webhookOutOfOrder is on. */
  webhookBatchWindowMs: number;
  /** Probability that an event is never delivered (it is still listed by GET /v1/events). */
  webhookDropRate: number;
  /** Delay before the first delivery attempt of every event. */
  webhookDelayMs: number;
}

export interface WebhookRetryPolicy {
  /** Total attempts, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface GatewaySimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 12111 (stripe-mock's port); 0 picks a free port. */
  port?: number;
  /** Endpoint that receives signed events; null (the default) delivers nothing. */
  webhookUrl?: string | null;
  /** Default 'whsec_paysaga_simulator'. */
  webhookSecret?: string;
  /** Default { attempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 }: exponential backoff until a 2xx. */
  webhookRetry?: WebhookRetryPolicy;
  faults?: Partial<GatewayFaults>;
  /** Source of every fault decision; inject a sequence for deterministic tests. Default Math.random. */
  random?: () => number;
  /**
   * Takes every event instead of the webhook dispatcher: whoever drives the run (the deterministic simulation)
   * delivers it — late, twice or never — on its own schedule. `payload` is the event's JSON as Stripe sends it.
   */
  webhookSink?: (event: { id: string; type: string; payload: string }) => void;
}

export interface GatewaySimulatorStats {
  requests: number;
  intentsCreated: number;
  refundsCreated: number;
  eventsCreated: number;
  webhookAttempts: number;
  webhooksDelivered: number;
  webhooksFailed: number;
  webhooksPendingDelivery: number;
  faultsInjected: { errors: number; timeouts: number; duplicates: number; dropped: number };
}

export interface GatewaySimulator {
  /** http://HOST:PORT */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  setFaults(faults: Partial<GatewayFaults>): void;
  faults(): GatewayFaults;
  setWebhookEndpoint(url: string | null, secret?: string): void;
  stats(): GatewaySimulatorStats;
  /** Resolves when no webhook delivery is pending or in flight (for tests). */
  webhooksSettled(): Promise<void>;
  close(): Promise<void>;
}
