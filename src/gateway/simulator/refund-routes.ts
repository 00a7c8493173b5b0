import { expanded, ok, type ApiRoute } from './api-route.ts';
import { readEnum, readExpand, readInteger, readMetadata, readString, rejectUnknown } from './params.ts';
import { createRefund } from './refunds.ts';
import { invalidRequest } from './stripe-error.ts';
import type { RefundReason } from './stripe-objects.ts';

const REFUND_REASONS: readonly RefundReason[] = ['duplicate', 'fraudulent', 'requested_by_customer'];
const REFUND_EXPANDABLE = ['charge', 'payment_intent'];

const createRefundRoute: ApiRoute = {
  method: 'POST',
  pattern: '/v1/refunds',
  prepare(params) {
    rejectUnknown(params, ['amount', 'charge', 'expand', 'instructions_email', 'metadata', 'payment_intent', 'reason']);
    const input = {
      paymentIntentId: readString(params, 'payment_intent'),
      chargeId: readString(params, 'charge'),
      amount: readInteger(params, 'amount', { min: 1 }),
      reason: readEnum(params, 'reason', REFUND_REASONS) ?? null,
      metadata: readMetadata(params),
    };
    readString(params, 'instructions_email');
    if ((input.paymentIntentId ?? '') === '' && (input.chargeId ?? '') === '') {
      throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing', param: 'payment_intent' });
    }
    const expand = readExpand(params, REFUND_EXPANDABLE);
    return (ctx) => ok(expanded(createRefund(ctx, input), expand, ctx.state));
  },
};

const retrieveRefund: ApiRoute = {
  method: 'GET',
  pattern: '/v1/refunds/:id',
  prepare(params, { id = '' }) {
    rejectUnknown(params, ['expand']);
    const expand = readExpand(params, REFUND_EXPANDABLE);
    return (ctx) => ok(expanded(ctx.state.refund(id), expand, ctx.state));
  },
};

const retrieveCharge: ApiRoute = {
  method: 'GET',
  pattern: '/v1/charges/:id',
  prepare(params, { id = '' }) {
    rejectUnknown(params, ['expand']);
    const expand = readExpand(params, ['payment_intent']);
    return (ctx) => ok(expanded(ctx.state.charge(id), expand, ctx.state));
  },
};

export const refundAndChargeRoutes: readonly ApiRoute[] = [createRefundRoute, retrieveRefund, retrieveCharge];
