import { newId, unixSeconds } from './ids.ts';
import type { OperationContext } from './operation-context.ts';
import type { ChargeObject, PaymentIntentObject } from './stripe-objects.ts';
import type { CardOutcome, TestPaymentMethod } from './test-payment-methods.ts';

type Decline = Extract<CardOutcome, { kind: 'decline' }>;

function baseCharge(ctx: OperationContext, intent: PaymentIntentObject, method: TestPaymentMethod): ChargeObject {
  const id = newId('ch');
  return {
    id,
    object: 'charge',
    amount: intent.amount,
    amount_captured: 0,
    amount_refunded: 0,
    balance_transaction: null,
    captured: false,
    created: unixSeconds(),
    currency: intent.currency,
    description: intent.description,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: { ...intent.metadata },
    outcome: { network_status: 'approved_by_network', reason: null, risk_level: 'normal', seller_message: 'Payment complete.', type: 'authorized' },
    paid: true,
    payment_intent: intent.id,
    payment_method: method.id,
    payment_method_details: { type: 'card', card: { ...method.card, network: method.card.brand } },
    receipt_url: `${ctx.baseUrl}/receipts/${id}`,
    refunded: false,
    status: 'succeeded',
  };
}

/** An authorised charge; captured at once unless the intent captures manually. */
export function recordAuthorizedCharge(ctx: OperationContext, intent: PaymentIntentObject, method: TestPaymentMethod): ChargeObject {
  const charge = baseCharge(ctx, intent, method);
  if (intent.capture_method !== 'manual') {
    charge.captured = true;
    charge.amount_captured = charge.amount;
  }
  ctx.state.charges.set(charge.id, charge);
  return charge;
}

export function recordDeclinedCharge(ctx: OperationContext, intent: PaymentIntentObject, method: TestPaymentMethod, decline: Decline): ChargeObject {
  const charge = baseCharge(ctx, intent, method);
  charge.paid = false;
  charge.status = 'failed';
  charge.failure_code = decline.code;
  charge.failure_message = decline.message;
  charge.outcome = {
    network_status: 'declined_by_network',
    reason: decline.declineCode ?? decline.code,
    risk_level: 'normal',
    seller_message: 'The bank did not return any further details with this decline.',
    type: 'issuer_declined',
  };
  ctx.state.charges.set(charge.id, charge);
  return charge;
}
