import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBody, notFound } from '../../../platform/http/api-error.ts';
import { isParty, requireParty, requireRole, type Principal, type Role } from '../../../platform/http/auth.ts';
import { idempotentId } from '../../../platform/http/idempotency-keys.ts';
import type { CommandResult, MessageMeta, PaymentApplication } from '../application/payment-application.ts';
import type { GatewayErrorStore } from '../application/gateway-error-store.ts';
import type { PaymentView } from '../application/payment-view.ts';
import type { PaymentStatus } from '../domain/payment-machine.ts';
import type { WebhookReceiver } from '../application/webhook-receiver.ts';
import { InvalidWebhookPayload, InvalidWebhookSignature, type CardGateway } from '../gateway/card-gateway.ts';
import {
  CancelPaymentBody, ConfirmPaymentBody, CreatePaymentBody, GatewayErrorsQuery, PaymentListQuery, PaymentParams, RefundBody,
} from './payment-schemas.ts';

export interface PaymentRoutesOptions {
  app: PaymentApplication;
  webhooks: WebhookReceiver;
  errors: GatewayErrorStore;
  gateway: CardGateway;
  webhookSecret: string;
  listByOrder(orderId: string): Promise<PaymentView[]>;
  /** The newest payments with their refunds (admins, without an order). */
  listRecent(filter: { status?: PaymentStatus; limit: number }): Promise<PaymentView[]>;
}

function metaOf(request: FastifyRequest): MessageMeta {
  const header = (name: string): string | null => {
    const value = request.headers[name];
    return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;
  };
  return { correlationId: header('x-correlation-id'), traceparent: header('traceparent') };
}

/** A gateway fault answered with the payment as it now is, so the caller knows where it stands. */
function answer(reply: FastifyReply, result: CommandResult, success: number): FastifyReply {
  const { payment, gatewayProblem } = result;
  if (gatewayProblem?.kind === 'unavailable') {
    return reply.code(503).send(errorBody('gateway_unavailable', gatewayProblem.message, { payment }));
  }
  if (gatewayProblem?.kind === 'unknown_outcome') return reply.code(202).send(payment);
  if (payment.status === 'FAILED' && payment.failure) {
    return reply.code(402).send(errorBody(payment.failure.code, payment.failure.reason, { declineCode: payment.failure.declineCode, payment }));
  }
  if (gatewayProblem) return reply.code(502).send(errorBody('gateway_rejected', gatewayProblem.message, { payment }));
  return reply.code(payment.status === 'PROCESSING' ? 202 : success).send(payment);
}

/** The payment service's HTTP API (SPEC §6). Every POST takes Idempotency-Key (platform hook); the webhook verifies Stripe-Signature instead. */
export async function paymentRoutes(http: FastifyInstance, options: PaymentRoutesOptions): Promise<void> {
  const { app } = options;
  const tags = ['payments'];

  /** The parties of a payment: its customer, and its order's restaurant when the saga told this service. */
  async function isPartyTo(principal: Principal, payment: PaymentView): Promise<boolean> {
    if (principal.role !== 'restaurant') return isParty(principal, { customerId: payment.customerId });
    return isParty(principal, { restaurantId: (await app.partiesOf(payment.orderId))?.restaurantId ?? null });
  }

  /** The payment, if the caller may see it (404 otherwise, so ids do not leak). Couriers never handle payments. */
  async function visible(request: FastifyRequest, paymentId: string, ...roles: Role[]): Promise<PaymentView> {
    const principal = requireRole(request, 'customer', ...roles);
    const payment = await app.view(paymentId);
    if (!await isPartyTo(principal, payment)) throw notFound('payment', paymentId);
    return payment;
  }

  http.post('/payments', { schema: { tags, body: CreatePaymentBody, summary: 'Create a payment for an order (returns its id and client secret)' } }, async (request, reply) => {
    const principal = requireRole(request, 'customer');
    const body = request.body as CreatePaymentBody;
    if (principal.role === 'customer' && body.customerId !== principal.subject) throw new ApiError(403, 'forbidden', 'a customer pays for themselves only');
    // Another customer's order looks like none; the create binds the order atomically (409 if someone else got there first).
    const parties = await app.partiesOf(body.orderId);
    if (parties) requireParty(principal, { customerId: parties.customerId }, 'order', body.orderId);
    return answer(reply, await app.create(body, metaOf(request), idempotentId(request, 'payment')), 201);
  });

  http.get('/payments', { schema: { tags, querystring: PaymentListQuery, summary: 'Payments of an order; admins may omit orderId for the newest payments (with their refunds), optionally of one status' } }, async (request) => {
    const principal = requireRole(request, 'customer', 'restaurant');
    const query = request.query as PaymentListQuery;
    const { orderId } = query;
    if (orderId === undefined) {
      requireRole(request);
      const limit = Math.min(query.limit === undefined ? 100 : Number(query.limit), 500);
      return { payments: await options.listRecent({ limit, ...(query.status ? { status: query.status } : {}) }) };
    }
    const payments = await options.listByOrder(orderId);
    const visibleOnes = await Promise.all(payments.map(async (payment) => (await isPartyTo(principal, payment) ? [payment] : [])));
    return { payments: visibleOnes.flat() };
  });

  http.get('/payments/:paymentId', { schema: { tags, params: PaymentParams } }, async (request) => visible(request, (request.params as PaymentParams).paymentId, 'restaurant'));

  http.post('/payments/:paymentId/confirm', { schema: { tags, params: PaymentParams, body: ConfirmPaymentBody, summary: 'Confirm with a test payment method' } }, async (request, reply) => {
    const { paymentId } = request.params as PaymentParams;
    await visible(request, paymentId);
    return answer(reply, await app.confirm(paymentId, (request.body as ConfirmPaymentBody).paymentMethod), 200);
  });

  http.post('/payments/:paymentId/cancel', { schema: { tags, params: PaymentParams, body: CancelPaymentBody, summary: 'Cancel before any money is captured' } }, async (request, reply) => {
    const { paymentId } = request.params as PaymentParams;
    await visible(request, paymentId);
    return answer(reply, await app.cancel(paymentId, (request.body as CancelPaymentBody).reason ?? 'requested_by_customer'), 200);
  });

  http.post('/payments/:paymentId/refunds', { schema: { tags, params: PaymentParams, body: RefundBody, summary: 'Refund all that remains, or part of it' } }, async (request, reply) => {
    requireRole(request, 'admin');
    const { paymentId } = request.params as PaymentParams;
    const body = request.body as RefundBody;
    // Named by the caller's key: a retry after a crash finds this refund instead of refunding twice.
    const result = await app.refund(paymentId, { refundRequestId: `http-${idempotentId(request, 'refund') ?? randomUUID()}`, amount: body.amount ?? null, reason: body.reason });
    const refund = result.payment.refunds.find((candidate) => candidate.id === result.refundId);
    if (result.gatewayProblem?.kind === 'rejected') {
      return reply.code(502).send(errorBody('gateway_rejected', result.gatewayProblem.message, { refund, payment: result.payment }));
    }
    return reply.code(refund?.status === 'pending' ? 202 : 201).send({ refund, payment: result.payment });
  });

  http.get('/gateway-errors', { schema: { tags, querystring: GatewayErrorsQuery, summary: 'Failed gateway calls and their statistics' } }, async (request) => {
    requireRole(request, 'admin');
    const query = request.query as GatewayErrorsQuery;
    return {
      breaker: options.gateway.breakerState,
      statistics: await options.errors.statistics(),
      errors: await options.errors.list({ ...(query.limit ? { limit: Number(query.limit) } : {}), ...(query.paymentId ? { paymentId: query.paymentId } : {}) }),
    };
  });

  // The signature covers the exact bytes Stripe sent, so this route keeps the raw body.
  await http.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body); });
    scope.post('/webhooks/stripe', { config: { idempotency: false, auth: false }, schema: { tags, summary: 'Stripe webhook endpoint (Stripe-Signature verified)' } }, async (request, reply) => {
      const signature = request.headers['stripe-signature'];
      if (typeof signature !== 'string' || !Buffer.isBuffer(request.body)) {
        throw new ApiError(400, 'invalid_signature', 'missing Stripe-Signature header or JSON body');
      }
      let event;
      try {
        event = options.gateway.parseWebhook(request.body, signature, options.webhookSecret);
      } catch (error) {
        if (error instanceof InvalidWebhookSignature) throw new ApiError(400, 'invalid_signature', error.message);
        if (error instanceof InvalidWebhookPayload) throw new ApiError(400, 'invalid_webhook_payload', error.message);
        throw error;
      }
      const outcome = await options.webhooks.receive(event);
      return reply.code(200).send({ received: true, outcome });
    });
  });
}
