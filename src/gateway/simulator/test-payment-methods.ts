import type { CardDetails, PaymentMethodObject } from './stripe-objects.ts';

/** What confirming with a test payment method does, as on docs.stripe.com/testing. */
export type CardOutcome =
  | { kind: 'succeed' }
  | { kind: 'authenticate' }
  | { kind: 'decline'; code: string; declineCode: string | null; message: string; param: string | null };

export interface TestPaymentMethod {
  id: string;
  card: CardDetails;
  outcome: CardOutcome;
}

const DECLINED = 'Your card was declined.';

function card(brand: string, last4: string, funding = 'credit'): CardDetails {
  return { brand, country: 'US', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, funding, last4 };
}

function decline(code: string, declineCode: string | null, message: string, param: string | null = null): CardOutcome {
  return { kind: 'decline', code, declineCode, message, param };
}

const METHODS: readonly TestPaymentMethod[] = [
  { id: 'pm_card_visa', card: card('visa', '4242'), outcome: { kind: 'succeed' } },
  { id: 'pm_card_visa_debit', card: card('visa', '5556', 'debit'), outcome: { kind: 'succeed' } },
  { id: 'pm_card_mastercard', card: card('mastercard', '4444'), outcome: { kind: 'succeed' } },
  { id: 'pm_card_amex', card: card('amex', '8431'), outcome: { kind: 'succeed' } },
  { id: 'pm_card_visa_chargeDeclined', card: card('visa', '0002'), outcome: decline('card_declined', 'generic_decline', DECLINED) },
  {
    id: 'pm_card_visa_chargeDeclinedInsufficientFunds',
    card: card('visa', '9995'),
    outcome: decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.'),
  },
  { id: 'pm_card_visa_chargeDeclinedLostCard', card: card('visa', '9987'), outcome: decline('card_declined', 'lost_card', DECLINED) },
  { id: 'pm_card_visa_chargeDeclinedStolenCard', card: card('visa', '9979'), outcome: decline('card_declined', 'stolen_card', DECLINED) },
  { id: 'pm_card_chargeDeclinedExpiredCard', card: card('visa', '0069'), outcome: decline('expired_card', null, 'Your card has expired.', 'exp_month') },
  {
    id: 'pm_card_chargeDeclinedIncorrectCvc',
    card: card('visa', '0127'),
    outcome: decline('incorrect_cvc', null, "Your card's security code is incorrect.", 'cvc'),
  },
  {
    id: 'pm_card_chargeDeclinedProcessingError',
    card: card('visa', '0119'),
    outcome: decline('processing_error', null, 'An error occurred while processing your card. Try again in a little bit.'),
  },
  { id: 'pm_card_authenticationRequired', card: card('visa', '3184'), outcome: { kind: 'authenticate' } },
  { id: 'pm_card_threeDSecure2Required', card: card('visa', '3220'), outcome: { kind: 'authenticate' } },
];

const BY_ID = new Map(METHODS.map((method) => [method.id, method]));

export function testPaymentMethod(id: string): TestPaymentMethod | undefined {
  return BY_ID.get(id);
}

export function listTestPaymentMethods(): readonly TestPaymentMethod[] {
  return METHODS;
}

/** The PaymentMethod object Stripe embeds in last_payment_error. */
export function paymentMethodObject(method: TestPaymentMethod, created: number): PaymentMethodObject {
  return {
    id: method.id,
    object: 'payment_method',
    billing_details: { address: null, email: null, name: null, phone: null },
    card: { ...method.card },
    created,
    customer: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}
