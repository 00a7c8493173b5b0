import type { GatewayOutcome } from '../domain/payment-machine.ts';

/** The gateway's view of a payment intent, reduced to what the payment service needs. */
export interface IntentView {
  id: string;
  clientSecret: string | null;
  /** Stripe's own status (requires_payment_method, requires_action, succeeded, …). */
  gatewayStatus: string;
  outcome: GatewayOutcome;
  amountReceived: number;
  latestChargeId: string | null;
  lastError: GatewayDecline | null;
  nextActionUrl: string | null;
  metadata: Record<string, string>;
}

export interface GatewayDecline {
  code: string;
  declineCode: string | null;
  message: string;
}

export interface RefundView {
  id: string;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled' | 'requires_action';
  amount: number;
  failureReason: string | null;
}

/** A verified webhook, reduced: the intent or refund it is about, as the gateway saw it when the event was made. */
export interface WebhookEventView {
  id: string;
  type: string;
  intent: IntentView | null;
  refund: (RefundView & { intentId: string | null; metadata: Record<string, string> }) | null;
  /** The intent and metadata of whatever object the event is about (charges included), to find its payment. */
  subject: { intentId: string | null; metadata: Record<string, string> };
}

export class InvalidWebhookSignature extends Error {
  override name = 'InvalidWebhookSignature';
}

/** Signed, but not a Stripe event paysaga can read. */
export class InvalidWebhookPayload extends Error {
  override name = 'InvalidWebhookPayload';
}

export interface ChargeView {
  id: string;
  receiptUrl: string | null;
}

/** Who a gateway call is for: recorded with every failed attempt in the gateway error store. */
export interface CallContext {
  paymentId?: string;
  refundId?: string;
  /** The same key on every attempt of one logical call: a retry never repeats a side effect. */
  idempotencyKey?: string;
}

export type GatewayFailureKind =
  /** The breaker is open: nothing was sent. */
  | 'unavailable'
  /** Timed out, lost connection or 5xx after every retry: the call may or may not have taken effect. */
  | 'unknown_outcome'
  /** The gateway answered with a definite refusal (invalid request, wrong state): nothing happened. */
  | 'rejected';

export class GatewayFailure extends Error {
  override name = 'GatewayFailure';
  readonly kind: GatewayFailureKind;
  readonly code: string;
  readonly statusCode: number | null;
  constructor(kind: GatewayFailureKind, code: string, message: string, statusCode: number | null) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.statusCode = statusCode;
  }
}

/**
 * The card gateway port. Declines are answers, not failures: `confirmIntent`
 * resolves with outcome `failed` and the decline; only faults throw
 * GatewayFailure.
 */
export interface CardGateway {
  createIntent(input: { amount: number; currency: string; description: string | null; metadata: Record<string, string> }, context: CallContext): Promise<IntentView>;
  confirmIntent(intentId: string, paymentMethod: string, context: CallContext): Promise<IntentView>;
  cancelIntent(intentId: string, reason: 'abandoned' | 'requested_by_customer' | 'duplicate' | 'fraudulent', context: CallContext): Promise<IntentView>;
  retrieveIntent(intentId: string, context: CallContext): Promise<IntentView>;
  createRefund(input: { intentId: string; amount: number; reason: string; metadata: Record<string, string> }, context: CallContext): Promise<RefundView>;
  retrieveCharge(chargeId: string, context: CallContext): Promise<ChargeView>;
  /** Checks the Stripe-Signature over the raw body (timestamp tolerance included); throws InvalidWebhookSignature. */
  parseWebhook(rawBody: Buffer, signature: string, secret: string): WebhookEventView;
  readonly breakerState: string;
}
