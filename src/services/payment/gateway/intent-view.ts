import type Stripe from 'stripe';
import type { GatewayOutcome } from '../domain/payment-machine.ts';
import type { IntentView, RefundView } from './card-gateway.ts';

/** Stripe's intent status → what it means for a paysaga payment. */
function outcomeOf(intent: Stripe.PaymentIntent): GatewayOutcome {
  switch (intent.status) {
    case 'succeeded': return 'succeeded';
    case 'canceled': return 'cancelled';
    case 'processing': case 'requires_action': case 'requires_capture': return 'in_progress';
    case 'requires_payment_method': return intent.last_payment_error ? 'failed' : 'awaiting';
    default: return 'awaiting';
  }
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

export function intentView(intent: Stripe.PaymentIntent): IntentView {
  const error = intent.last_payment_error;
  const redirect = intent.next_action?.redirect_to_url?.url ?? null;
  return {
    id: intent.id,
    clientSecret: intent.client_secret,
    gatewayStatus: intent.status,
    outcome: outcomeOf(intent),
    amountReceived: intent.amount_received,
    latestChargeId: idOf(intent.latest_charge),
    lastError: error ? { code: error.code ?? 'card_error', declineCode: error.decline_code ?? null, message: error.message ?? 'the card was declined' } : null,
    nextActionUrl: redirect,
    metadata: { ...intent.metadata },
  };
}

export function refundView(refund: Stripe.Refund): RefundView {
  return {
    id: refund.id,
    status: (refund.status ?? 'pending') as RefundView['status'],
    amount: refund.amount,
    failureReason: refund.failure_reason ?? null,
  };
}
