import { recordAuthorizedCharge, recordDeclinedCharge } from './charges.ts';
import { newId, randomToken, unixSeconds } from './ids.ts';
import type { OperationContext } from './operation-context.ts';
import { applyMetadata, type MetadataPatch } from './params.ts';
import type { IntentRecord } from './simulator-state.ts';
import { docUrl, invalidRequest, StripeApiError, unexpectedState } from './stripe-error.ts';
import type { CancellationReason, CaptureMethod, PaymentIntentObject, PaymentIntentStatus, StripeErrorObject } from './stripe-objects.ts';
import { paymentMethodObject, testPaymentMethod, type CardOutcome, type TestPaymentMethod } from './test-payment-methods.ts';

// The PaymentIntent state machine (docs.stripe.com/payments/paymentintents/lifecycle).
// Every function runs synchronously, so one request's transition is never interleaved with another's.

const CONFIRMABLE: readonly PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE: readonly PaymentIntentStatus[] = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

function snapshot(intent: PaymentIntentObject): PaymentIntentObject {
  return structuredClone(intent);
}

export interface CreateIntentInput {
  amount: number;
  currency: string;
  captureMethod: CaptureMethod;
  metadata: MetadataPatch | undefined;
  description: string | null;
  receiptEmail: string | null;
  paymentMethod: TestPaymentMethod | null;
  confirm: boolean;
  returnUrl: string | null;
}

export function createPaymentIntent(ctx: OperationContext, input: CreateIntentInput): PaymentIntentObject {
  const id = newId('pi');
  const intent: PaymentIntentObject = {
    id,
    object: 'payment_intent',
    amount: input.amount,
    amount_capturable: 0,
    amount_received: 0,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: input.captureMethod,
    client_secret: `${id}_secret_${randomToken()}`,
    confirmation_method: 'automatic',
    created: unixSeconds(),
    currency: input.currency,
    customer: null,
    description: input.description,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: applyMetadata({}, input.metadata),
    next_action: null,
    payment_method: input.paymentMethod?.id ?? null,
    payment_method_types: ['card'],
    receipt_email: input.receiptEmail,
    status: input.paymentMethod === null ? 'requires_payment_method' : 'requires_confirmation',
  };
  const record: IntentRecord = { intent, returnUrl: input.returnUrl };
  ctx.state.intents.set(id, record);
  ctx.stats.intentsCreated++;
  ctx.emit('payment_intent.created', intent);
  if (input.confirm && input.paymentMethod !== null) return attempt(ctx, record, input.paymentMethod);
  return intent;
}

export interface ConfirmIntentInput {
  paymentMethod: TestPaymentMethod | null;
  returnUrl: string | null;
}

export function confirmPaymentIntent(ctx: OperationContext, id: string, input: ConfirmIntentInput): PaymentIntentObject {
  const record = ctx.state.intent(id);
  const { intent } = record;
  if (!CONFIRMABLE.includes(intent.status)) {
    throw unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. `
      + `Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
      snapshot(intent),
    );
  }
  const method = input.paymentMethod ?? (intent.payment_method === null ? undefined : testPaymentMethod(intent.payment_method));
  if (method === undefined) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment_method and then confirm it again.",
      { code: 'payment_intent_unexpected_state', param: 'payment_method', paymentIntent: snapshot(intent) },
    );
  }
  if (input.returnUrl !== null) record.returnUrl = input.returnUrl;
  return attempt(ctx, record, method);
}

/** One payment attempt with `method`: authorise, ask for 3DS, or decline. */
function attempt(ctx: OperationContext, record: IntentRecord, method: TestPaymentMethod): PaymentIntentObject {
  const { intent } = record;
  intent.payment_method = method.id;
  intent.last_payment_error = null;
  intent.next_action = null;
  const outcome = method.outcome;
  switch (outcome.kind) {
    case 'succeed':
      return authorize(ctx, intent, method);
    case 'authenticate':
      intent.status = 'requires_action';
      intent.next_action = {
        type: 'redirect_to_url',
        redirect_to_url: { url: `${ctx.baseUrl}/_simulator/authenticate/${intent.id}`, return_url: record.returnUrl },
      };
      ctx.emit('payment_intent.requires_action', intent);
      return intent;
    case 'decline':
      return decline(ctx, intent, method, outcome);
  }
}

function authorize(ctx: OperationContext, intent: PaymentIntentObject, method: TestPaymentMethod): PaymentIntentObject {
  const charge = recordAuthorizedCharge(ctx, intent, method);
  intent.latest_charge = charge.id;
  intent.next_action = null;
  ctx.emit('charge.succeeded', charge);
  if (intent.capture_method === 'manual') {
    intent.status = 'requires_capture';
    intent.amount_capturable = intent.amount;
    ctx.emit('payment_intent.amount_capturable_updated', intent);
  } else {
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    ctx.emit('payment_intent.succeeded', intent);
  }
  return intent;
}

/** A decline records a failed charge, puts the intent back to requires_payment_method and answers 402. */
function decline(ctx: OperationContext, intent: PaymentIntentObject, method: TestPaymentMethod, outcome: Extract<CardOutcome, { kind: 'decline' }>): never {
  const charge = recordDeclinedCharge(ctx, intent, method, outcome);
  const error: StripeErrorObject = { type: 'card_error', code: outcome.code, message: outcome.message, doc_url: docUrl(outcome.code), charge: charge.id };
  if (outcome.declineCode !== null) error.decline_code = outcome.declineCode;
  if (outcome.param !== null) error.param = outcome.param;
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.latest_charge = charge.id;
  intent.last_payment_error = { ...error, payment_method: paymentMethodObject(method, intent.created) };
  ctx.emit('charge.failed', charge);
  ctx.emit('payment_intent.payment_failed', intent);
  throw new StripeApiError(402, { ...error, payment_intent: snapshot(intent) });
}

export type AuthenticationOutcome = 'succeed' | 'fail';

/** The customer finishing (or failing) the 3DS step that requires_action asked for. */
export function completeAuthentication(ctx: OperationContext, id: string, outcome: AuthenticationOutcome): PaymentIntentObject {
  const { intent } = ctx.state.intent(id);
  const method = intent.payment_method === null ? undefined : testPaymentMethod(intent.payment_method);
  if (intent.status !== 'requires_action' || method === undefined) {
    throw unexpectedState(`This PaymentIntent is not awaiting authentication: it has a status of ${intent.status}.`, snapshot(intent));
  }
  if (outcome === 'succeed') return authorize(ctx, intent, method);
  intent.status = 'requires_payment_method';
  intent.next_action = null;
  intent.payment_method = null;
  intent.last_payment_error = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    doc_url: docUrl('payment_intent_authentication_failure'),
    payment_method: paymentMethodObject(method, intent.created),
  };
  ctx.emit('payment_intent.payment_failed', intent);
  return intent;
}

export interface CaptureIntentInput {
  amountToCapture: number | undefined;
  metadata: MetadataPatch | undefined;
}

/** Captures all or part of the authorisation; the uncaptured rest is released (Stripe shows it as refunded on the charge). */
export function capturePaymentIntent(ctx: OperationContext, id: string, input: CaptureIntentInput): PaymentIntentObject {
  const { intent } = ctx.state.intent(id);
  if (intent.status !== 'requires_capture' || intent.latest_charge === null) {
    throw unexpectedState(
      `This PaymentIntent could not be captured because it has a status of ${intent.status}. `
      + 'Only a PaymentIntent with one of the following statuses may be captured: requires_capture.',
      snapshot(intent),
    );
  }
  const amount = input.amountToCapture ?? intent.amount_capturable;
  if (amount > intent.amount_capturable) {
    throw invalidRequest(
      `The amount to capture (${amount}) must be less than or equal to the amount capturable (${intent.amount_capturable}).`,
      { code: 'amount_too_large', param: 'amount_to_capture', paymentIntent: snapshot(intent) },
    );
  }
  const metadata = applyMetadata(intent.metadata, input.metadata);
  const charge = ctx.state.charge(intent.latest_charge);
  charge.captured = true;
  charge.amount_captured = amount;
  charge.amount_refunded = charge.amount - amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  intent.metadata = metadata;
  intent.amount_received = amount;
  intent.amount_capturable = 0;
  intent.status = 'succeeded';
  ctx.emit('charge.captured', charge);
  ctx.emit('payment_intent.succeeded', intent);
  return intent;
}

export function cancelPaymentIntent(ctx: OperationContext, id: string, reason: CancellationReason | null): PaymentIntentObject {
  const { intent } = ctx.state.intent(id);
  if (!CANCELABLE.includes(intent.status)) {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. `
      + `Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      snapshot(intent),
    );
  }
  if (intent.status === 'requires_capture' && intent.latest_charge !== null) {
    // The authorisation is released in full.
    const charge = ctx.state.charge(intent.latest_charge);
    charge.amount_refunded = charge.amount;
    charge.refunded = true;
  }
  intent.status = 'canceled';
  intent.canceled_at = unixSeconds();
  intent.cancellation_reason = reason;
  intent.amount_capturable = 0;
  intent.next_action = null;
  ctx.emit('payment_intent.canceled', intent);
  return intent;
}

export interface UpdateIntentInput {
  metadata: MetadataPatch | undefined;
  description: string | undefined;
}

export function updatePaymentIntent(ctx: OperationContext, id: string, input: UpdateIntentInput): PaymentIntentObject {
  const { intent } = ctx.state.intent(id);
  if (intent.status === 'canceled') {
    throw unexpectedState('You cannot update this PaymentIntent because it has a status of canceled.', snapshot(intent));
  }
  intent.metadata = applyMetadata(intent.metadata, input.metadata);
  if (input.description !== undefined) intent.description = input.description === '' ? null : input.description;
  return intent;
}
