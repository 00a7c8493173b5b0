import Stripe from 'stripe';
import type { GatewayCallObserver } from '../../../platform/observability/gateway-metrics.ts';
import { createResiliencePolicy, isAttemptTimeout, isBreakerOpen, type ResilienceOptions, type ResiliencePolicy } from '../../../platform/resilience/resilience-policy.ts';
import { findUnstorableText } from '../../../platform/http/storable-text.ts';
import { GatewayFailure, InvalidWebhookPayload, InvalidWebhookSignature, type CallContext, type CardGateway, type ChargeView, type IntentView, type RefundView, type WebhookEventView } from './card-gateway.ts';
import { intentView, refundView } from './intent-view.ts';
import { isWebhookEventShape } from './webhook-event-schema.ts';

export interface StripeGatewayOptions {
  apiKey: string;
  /** http://127.0.0.1:12111 for the simulator; unset for Stripe itself. */
  apiBase?: string | null;
  resilience?: Partial<Omit<ResilienceOptions, 'isRetryable'>>;
  /** Told of every logical call's outcome (metrics). */
  calls?: GatewayCallObserver;
  /**
   * The SDK retries a connection reset once even with its retries off (stripe-node#1040: it usually means a stale
   * keep-alive socket), after a fixed 0.5–1 s of real time. Unset: the SDK's wait. The simulation, whose clock is
   * virtual, sets 0: the retry still happens, as it does against Stripe, without the wall-clock wait.
   */
  resetRetryDelayMs?: number;
}

/** The one SDK hook for that wait: an instance method the request sender asks (seconds). */
interface SdkRetryDelay {
  getInitialNetworkRetryDelay(): number;
}

export interface FailedAttempt {
  operation: string;
  context: CallContext;
  attempt: number;
  errorType: string;
  errorCode: string | null;
  declineCode: string | null;
  httpStatus: number | null;
  message: string;
  retryable: boolean;
}

export const DEFAULT_GATEWAY_RESILIENCE: Omit<ResilienceOptions, 'isRetryable'> = {
  timeoutMs: 10_000, maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5_000, breakerThreshold: 5, halfOpenAfterMs: 10_000,
};

/** Connection errors, timeouts, rate limits, 5xx and a key still in flight (409) may succeed on a retry; everything else is an answer. */
export function isRetryableStripeError(error: unknown): boolean {
  if (isAttemptTimeout(error)) return true;
  if (!(error instanceof Stripe.errors.StripeError)) return false;
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeRateLimitError) return true;
  if (error.statusCode === 409 || error.code === 'idempotency_key_in_use' || error.code === 'lock_timeout') return true;
  return error.statusCode !== undefined && error.statusCode >= 500;
}

function describe(error: unknown): Omit<FailedAttempt, 'operation' | 'context' | 'attempt'> {
  if (error instanceof Stripe.errors.StripeError) {
    return {
      errorType: error.rawType ?? error.type, errorCode: error.code ?? null, declineCode: error.decline_code ?? null,
      httpStatus: error.statusCode ?? null, message: error.message, retryable: isRetryableStripeError(error),
    };
  }
  if (isAttemptTimeout(error)) return { errorType: 'timeout', errorCode: 'timeout', declineCode: null, httpStatus: null, message: 'the gateway did not answer in time', retryable: true };
  if (isBreakerOpen(error)) return { errorType: 'circuit_open', errorCode: 'circuit_open', declineCode: null, httpStatus: null, message: 'circuit breaker open: call not attempted', retryable: false };
  return { errorType: 'unknown', errorCode: null, declineCode: null, httpStatus: null, message: error instanceof Error ? error.message : String(error), retryable: false };
}

/**
 * The card gateway over the official `stripe` SDK. The SDK's own retries are
 * off (but for its one retry of a reset connection, see resetRetryDelayMs): the resilience policy (timeout, retry on retryable errors with the same
 * Idempotency-Key, circuit breaker) owns that, and every failed attempt is
 * reported for the gateway error store.
 */
export class StripeCardGateway implements CardGateway {
  readonly #stripe: Stripe;
  readonly #policy: ResiliencePolicy;
  readonly #onFailure: (attempt: FailedAttempt) => void;
  readonly #timeoutMs: number;
  readonly #calls: GatewayCallObserver | null;

  constructor(options: StripeGatewayOptions, onFailure: (attempt: FailedAttempt) => void = () => undefined) {
    const resilience = { ...DEFAULT_GATEWAY_RESILIENCE, ...options.resilience };
    this.#timeoutMs = resilience.timeoutMs;
    const base = options.apiBase ? new URL(options.apiBase) : null;
    this.#stripe = new Stripe(options.apiKey, {
      maxNetworkRetries: 0,
      timeout: resilience.timeoutMs,
      ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol === 'https:' ? 'https' : 'http' } : {}),
    });
    if (options.resetRetryDelayMs !== undefined) {
      const sdk = this.#stripe as unknown as SdkRetryDelay;
      // An SDK without the hook must fail here, loudly, rather than quietly wait again.
      if (typeof sdk.getInitialNetworkRetryDelay !== 'function') throw new Error('this stripe SDK has no getInitialNetworkRetryDelay(): resetRetryDelayMs cannot be applied');
      const seconds = options.resetRetryDelayMs / 1_000;
      sdk.getInitialNetworkRetryDelay = () => seconds;
    }
    this.#policy = createResiliencePolicy({ ...resilience, isRetryable: isRetryableStripeError });
    this.#onFailure = onFailure;
    this.#calls = options.calls ?? null;
  }

  get breakerState(): string {
    return this.#policy.breakerState;
  }

  onBreakerChange(listener: (state: string) => void): void {
    this.#policy.onBreakerChange(listener);
  }

  async #call<T>(operation: string, context: CallContext, task: (options: Stripe.RequestOptions) => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await this.#attempts(operation, context, task);
      this.#calls?.called(operation, 'ok', performance.now() - started);
      return result;
    } catch (error) {
      this.#calls?.called(operation, error instanceof GatewayFailure ? error.kind : 'rejected', performance.now() - started);
      throw error;
    }
  }

  async #attempts<T>(operation: string, context: CallContext, task: (options: Stripe.RequestOptions) => Promise<T>): Promise<T> {
    const requestOptions: Stripe.RequestOptions = { timeout: this.#timeoutMs, ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}) };
    try {
      return await this.#policy.execute(async ({ attempt }) => {
        try {
          return await task(requestOptions);
        } catch (error) {
          this.#onFailure({ operation, context, attempt, ...describe(error) });
          throw error;
        }
      });
    } catch (error) {
      if (isBreakerOpen(error)) {
        this.#onFailure({ operation, context, attempt: 0, ...describe(error) });
        throw new GatewayFailure('unavailable', 'gateway_unavailable', 'the card gateway is unavailable (circuit open); nothing was sent', null);
      }
      const described = describe(error);
      if (described.retryable || described.errorType === 'timeout') {
        throw new GatewayFailure('unknown_outcome', described.errorCode ?? 'gateway_error', `the card gateway did not answer: ${described.message}`, described.httpStatus);
      }
      throw new GatewayFailure('rejected', described.errorCode ?? described.errorType, described.message, described.httpStatus);
    }
  }

  createIntent(input: { amount: number; currency: string; description: string | null; metadata: Record<string, string> }, context: CallContext): Promise<IntentView> {
    return this.#call('payment_intents.create', context, async (options) => intentView(await this.#stripe.paymentIntents.create({
      amount: input.amount, currency: input.currency.toLowerCase(), capture_method: 'automatic',
      metadata: input.metadata, ...(input.description ? { description: input.description } : {}),
    }, options)));
  }

  confirmIntent(intentId: string, paymentMethod: string, context: CallContext): Promise<IntentView> {
    return this.#call('payment_intents.confirm', context, async (options) => {
      try {
        return intentView(await this.#stripe.paymentIntents.confirm(intentId, { payment_method: paymentMethod }, options));
      } catch (error) {
        // A decline is the gateway's answer: the intent it carries says what happened.
        if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) return intentView(error.payment_intent);
        throw error;
      }
    });
  }

  cancelIntent(intentId: string, reason: 'abandoned' | 'requested_by_customer' | 'duplicate' | 'fraudulent', context: CallContext): Promise<IntentView> {
    return this.#call('payment_intents.cancel', context, async (options) =>
      intentView(await this.#stripe.paymentIntents.cancel(intentId, { cancellation_reason: reason }, options)));
  }

  retrieveIntent(intentId: string, context: CallContext): Promise<IntentView> {
    return this.#call('payment_intents.retrieve', context, async (options) => intentView(await this.#stripe.paymentIntents.retrieve(intentId, {}, options)));
  }

  createRefund(input: { intentId: string; amount: number; reason: string; metadata: Record<string, string> }, context: CallContext): Promise<RefundView> {
    return this.#call('refunds.create', context, async (options) => refundView(await this.#stripe.refunds.create({
      payment_intent: input.intentId, amount: input.amount, reason: 'requested_by_customer', metadata: { ...input.metadata, reason: input.reason.slice(0, 400) },
    }, options)));
  }

  retrieveCharge(chargeId: string, context: CallContext): Promise<ChargeView> {
    return this.#call('charges.retrieve', context, async (options) => {
      const charge = await this.#stripe.charges.retrieve(chargeId, {}, options);
      return { id: charge.id, receiptUrl: charge.receipt_url ?? null };
    });
  }

  /** The SDK's signature check (HMAC-SHA256 over the raw body, 300 s tolerance), then the event reduced to what paysaga reads. */
  parseWebhook(rawBody: Buffer, signature: string, secret: string): WebhookEventView {
    let event: Stripe.Event;
    try {
      event = this.#stripe.webhooks.constructEvent(rawBody, signature, secret);
    } catch (error) {
      throw new InvalidWebhookSignature(error instanceof Error ? error.message : String(error));
    }
    if (!isWebhookEventShape(event) || findUnstorableText(event, 'event') !== null) {
      throw new InvalidWebhookPayload('the signed payload is not a Stripe event paysaga can read');
    }
    const object = event.data.object as { object?: string; id?: string; payment_intent?: string | { id: string } | null; metadata?: Record<string, string> | null };
    const metadata = { ...object.metadata };
    if (object.object === 'payment_intent') {
      return { id: event.id, type: event.type, intent: intentView(object as Stripe.PaymentIntent), refund: null, subject: { intentId: object.id ?? null, metadata } };
    }
    const intentId = typeof object.payment_intent === 'string' ? object.payment_intent : object.payment_intent?.id ?? null;
    const refund = object.object === 'refund' ? { ...refundView(object as Stripe.Refund), intentId, metadata } : null;
    return { id: event.id, type: event.type, intent: null, refund, subject: { intentId, metadata } };
  }
}
