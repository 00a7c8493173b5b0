import { newId, unixSeconds } from './ids.ts';
import type { OperationContext } from './operation-context.ts';
import { applyMetadata, type MetadataPatch } from './params.ts';
import { invalidRequest } from './stripe-error.ts';
import type { ChargeObject, PaymentIntentObject, RefundObject, RefundReason } from './stripe-objects.ts';

export interface CreateRefundInput {
  paymentIntentId: string | undefined;
  chargeId: string | undefined;
  amount: number | undefined;
  reason: RefundReason | null;
  metadata: MetadataPatch | undefined;
}

function chargeToRefund(ctx: OperationContext, input: CreateRefundInput): { intent: PaymentIntentObject; charge: ChargeObject } {
  const explicitCharge = input.chargeId === undefined ? undefined : ctx.state.charge(input.chargeId, 'charge');
  const intent = input.paymentIntentId === undefined
    ? ctx.state.intent(explicitCharge?.payment_intent ?? '', 'charge').intent
    : ctx.state.intent(input.paymentIntentId, 'payment_intent').intent;
  if (explicitCharge !== undefined && explicitCharge.payment_intent !== intent.id) {
    throw invalidRequest(`Charge ${explicitCharge.id} does not belong to PaymentIntent ${intent.id}.`, { param: 'charge' });
  }
  const param = input.paymentIntentId === undefined ? 'charge' : 'payment_intent';
  const charge = explicitCharge ?? (intent.latest_charge === null ? undefined : ctx.state.charges.get(intent.latest_charge));
  // Only captured money can be refunded; an uncaptured PaymentIntent is canceled instead.
  if (intent.status !== 'succeeded' || charge === undefined || charge.status !== 'succeeded' || !charge.captured) {
    const hint = intent.status === 'requires_capture' ? ' Cancel the PaymentIntent to release an uncaptured authorization.' : '';
    throw invalidRequest(
      `This PaymentIntent (${intent.id}) does not have a successful charge to refund: it has a status of ${intent.status}.${hint}`,
      { code: 'charge_not_refundable', param },
    );
  }
  return { intent, charge };
}

/** A card refund: succeeds at once, and keeps the charge's amount_refunded / refunded right. */
export function createRefund(ctx: OperationContext, input: CreateRefundInput): RefundObject {
  const { intent, charge } = chargeToRefund(ctx, input);
  const refundable = charge.amount - charge.amount_refunded;
  if (refundable === 0) {
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded', param: input.chargeId === undefined ? 'payment_intent' : 'charge' });
  }
  const amount = input.amount ?? refundable;
  if (amount > refundable) {
    throw invalidRequest(
      `Refund amount (${amount} ${charge.currency}) is greater than unrefunded amount on charge (${refundable} ${charge.currency})`,
      { code: 'amount_too_large', param: 'amount' },
    );
  }
  const refund: RefundObject = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: charge.id,
    created: unixSeconds(),
    currency: charge.currency,
    // The intent's metadata travels with the refund so a webhook consumer can route it; the refund's own wins.
    metadata: applyMetadata(intent.metadata, input.metadata),
    payment_intent: intent.id,
    reason: input.reason,
    receipt_number: null,
    status: 'succeeded',
  };
  ctx.state.refunds.set(refund.id, refund);
  ctx.stats.refundsCreated++;
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  ctx.emit('refund.created', refund);
  ctx.emit('charge.refunded', charge);
  return refund;
}
