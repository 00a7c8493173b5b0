import type { PaymentIntentObject, StripeErrorObject, StripeErrorType } from './stripe-objects.ts';

/** A Stripe-shaped error answer: thrown by validation and operations, turned into `{ error }` with its status. */
export class StripeApiError extends Error {
  override name = 'StripeApiError';
  readonly status: number;
  readonly error: StripeErrorObject;

  constructor(status: number, error: StripeErrorObject) {
    super(error.message);
    this.status = status;
    this.error = error;
  }
}

export function docUrl(code: string): string {
  return `https://docs.stripe.com/error-codes/${code.replaceAll('_', '-')}`;
}

interface ErrorDetails {
  code?: string;
  param?: string;
  status?: number;
  type?: StripeErrorType;
  paymentIntent?: PaymentIntentObject;
}

/** 400 invalid_request_error (or another type/status), with doc_url whenever there is a code. */
export function invalidRequest(message: string, details: ErrorDetails = {}): StripeApiError {
  const error: StripeErrorObject = { type: details.type ?? 'invalid_request_error', message };
  if (details.code !== undefined) {
    error.code = details.code;
    error.doc_url = docUrl(details.code);
  }
  if (details.param !== undefined) error.param = details.param;
  if (details.paymentIntent !== undefined) error.payment_intent = details.paymentIntent;
  return new StripeApiError(details.status ?? 400, error);
}

export function resourceMissing(resource: string, id: string, param = 'id'): StripeApiError {
  return invalidRequest(`No such ${resource}: '${id}'`, { code: 'resource_missing', param, status: 404 });
}

export function missingParam(param: string): StripeApiError {
  return invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
}

export function unknownParam(param: string): StripeApiError {
  return invalidRequest(`Received unknown parameter: ${param}`, { code: 'parameter_unknown', param });
}

export function apiError(message = 'An unknown error occurred while processing your request (simulated by the paysaga gateway simulator).'): StripeApiError {
  return new StripeApiError(500, { type: 'api_error', message });
}

export function unexpectedState(message: string, paymentIntent: PaymentIntentObject): StripeApiError {
  return invalidRequest(message, { code: 'payment_intent_unexpected_state', paymentIntent });
}
