import { expanded, ok, type ApiRoute } from './api-route.ts';
import { STRIPE_CURRENCIES } from './currencies.ts';
import { paramList, type ParamObject } from './form-params.ts';
import {
  cancelPaymentIntent, capturePaymentIntent, confirmPaymentIntent, createPaymentIntent, updatePaymentIntent,
} from './payment-intents.ts';
import { readBoolean, readEnum, readExpand, readInteger, readMetadata, readString, rejectUnknown } from './params.ts';
import { invalidRequest } from './stripe-error.ts';
import type { CancellationReason, CaptureMethod } from './stripe-objects.ts';
import { testPaymentMethod, type TestPaymentMethod } from './test-payment-methods.ts';

/** Stripe's ceiling for one amount, in minor units. */
const MAX_AMOUNT = 99_999_999;
const INTENT_EXPANDABLE = ['latest_charge'];
const CAPTURE_METHODS: readonly CaptureMethod[] = ['automatic', 'automatic_async', 'manual'];
const CANCELLATION_REASONS: readonly CancellationReason[] = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];

function readAmount(params: ParamObject): number {
  const text = readString(params, 'amount', { required: true }) ?? '';
  if (/^\d+$/.test(text) && Number(text) > MAX_AMOUNT) {
    throw invalidRequest(`Amount must be no more than ${MAX_AMOUNT} in the currency's smallest unit.`, { code: 'amount_too_large', param: 'amount' });
  }
  return readInteger(params, 'amount', { required: true, min: 1 }) ?? 0;
}

function readCurrency(params: ParamObject): string {
  const currency = (readString(params, 'currency', { required: true }) ?? '').toLowerCase();
  if (!STRIPE_CURRENCIES.has(currency)) {
    throw invalidRequest(`Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...STRIPE_CURRENCIES].join(', ')}`, { param: 'currency' });
  }
  return currency;
}

function readPaymentMethod(params: ParamObject): TestPaymentMethod | null {
  const id = readString(params, 'payment_method');
  if (id === undefined || id === '') return null;
  const method = testPaymentMethod(id);
  if (method === undefined) throw invalidRequest(`No such PaymentMethod: '${id}'`, { code: 'resource_missing', param: 'payment_method' });
  return method;
}

function readReturnUrl(params: ParamObject): string | null {
  const url = readString(params, 'return_url');
  if (url === undefined) return null;
  if (!URL.canParse(url)) throw invalidRequest(`Invalid URL: ${url}`, { code: 'url_invalid', param: 'return_url' });
  return url;
}

function readPaymentMethodTypes(params: ParamObject): void {
  const value = params.payment_method_types;
  if (value === undefined) return;
  const types = typeof value === 'string' ? [value] : paramList(value);
  if (types === null || types.some((type) => type !== 'card')) {
    throw invalidRequest('The simulator supports only the payment method type card.', { param: 'payment_method_types' });
  }
}

const createIntent: ApiRoute = {
  method: 'POST',
  pattern: '/v1/payment_intents',
  prepare(params) {
    rejectUnknown(params, [
      'amount', 'automatic_payment_methods', 'capture_method', 'confirm', 'currency', 'description', 'expand', 'metadata',
      'payment_method', 'payment_method_types', 'receipt_email', 'return_url', 'statement_descriptor', 'statement_descriptor_suffix',
    ]);
    const amount = readAmount(params);
    const currency = readCurrency(params);
    const captureMethod = readEnum(params, 'capture_method', CAPTURE_METHODS) ?? 'automatic';
    const confirm = readBoolean(params, 'confirm') ?? false;
    const paymentMethod = readPaymentMethod(params);
    if (confirm && paymentMethod === null) {
      throw invalidRequest('You cannot confirm this PaymentIntent because it\'s missing a payment method: pass payment_method with confirm=true.', {
        code: 'parameter_missing', param: 'payment_method',
      });
    }
    readPaymentMethodTypes(params);
    const input = {
      amount,
      currency,
      captureMethod,
      confirm,
      paymentMethod,
      metadata: readMetadata(params),
      description: readString(params, 'description', { maxLength: 1000 }) ?? null,
      receiptEmail: readString(params, 'receipt_email') ?? null,
      returnUrl: readReturnUrl(params),
    };
    readString(params, 'statement_descriptor', { maxLength: 22 });
    readString(params, 'statement_descriptor_suffix', { maxLength: 22 });
    const expand = readExpand(params, INTENT_EXPANDABLE);
    return (ctx) => ok(expanded(createPaymentIntent(ctx, input), expand, ctx.state));
  },
};

const retrieveIntent: ApiRoute = {
  method: 'GET',
  pattern: '/v1/payment_intents/:id',
  prepare(params, { id = '' }) {
    rejectUnknown(params, ['client_secret', 'expand']);
    const expand = readExpand(params, INTENT_EXPANDABLE);
    return (ctx) => ok(expanded(ctx.state.intent(id).intent, expand, ctx.state));
  },
};

const updateIntent: ApiRoute = {
  method: 'POST',
  pattern: '/v1/payment_intents/:id',
  prepare(params, { id = '' }) {
    rejectUnknown(params, ['description', 'expand', 'metadata']);
    const input = { metadata: readMetadata(params), description: readString(params, 'description', { maxLength: 1000 }) };
    const expand = readExpand(params, INTENT_EXPANDABLE);
    return (ctx) => ok(expanded(updatePaymentIntent(ctx, id, input), expand, ctx.state));
  },
};

const confirmIntent: ApiRoute = {
  method: 'POST',
  pattern: '/v1/payment_intents/:id/confirm',
  prepare(params, { id = '' }) {
    rejectUnknown(params, ['expand', 'payment_method', 'receipt_email', 'return_url']);
    const input = { paymentMethod: readPaymentMethod(params), returnUrl: readReturnUrl(params) };
    readString(params, 'receipt_email');
    const expand = readExpand(params, INTENT_EXPANDABLE);
    return (ctx) => ok(expanded(confirmPaymentIntent(ctx, id, input), expand, ctx.state));
  },
};

const captureIntent: ApiRoute = {
  method: 'POST',
  pattern: '/v1/payment_intents/:id/capture',
  prepare(params, { id = '' }) {
    rejectUnknown(params, ['amount_to_capture', 'expand', 'final_capture', 'metadata']);
    const input = { amountToCapture: readInteger(params, 'amount_to_capture', { min: 1 }), metadata: readMetadata(params) };
    readBoolean(params, 'final_capture');
    const expand = readExpand(params, INTENT_EXPANDABLE);
    return (ctx) => ok(expanded(capturePaymentIntent(ctx, id, input), expand, ctx.state));
  },
};

const cancelIntent: ApiRoute = {
  method: 'POST',
  pattern: '/v1/payment_intents/:id/cancel',
  prepare(params, { id = '' }) {
    rejectUnknown(params, ['cancellation_reason', 'expand']);
    const reason = readEnum(params, 'cancellation_reason', CANCELLATION_REASONS) ?? null;
    const expand = readExpand(params, INTENT_EXPANDABLE);
    return (ctx) => ok(expanded(cancelPaymentIntent(ctx, id, reason), expand, ctx.state));
  },
};

export const paymentIntentRoutes: readonly ApiRoute[] = [createIntent, retrieveIntent, updateIntent, confirmIntent, captureIntent, cancelIntent];
