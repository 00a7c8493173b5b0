import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { addMoney, money, type Money } from '../../../contracts/money.ts';
import { checkoutPaymentIdOf } from '../../../contracts/ids.ts';
import { ApiError, errorBody, notFound, Overloaded } from '../../../platform/http/api-error.ts';
import { isParty, requireRole, type Parties, type Principal } from '../../../platform/http/auth.ts';
import { idempotentId } from '../../../platform/http/idempotency-keys.ts';
import type { SagaView } from '../../../platform/saga/saga-engine.ts';
import { listSagas, type SagaListFilter } from '../saga-list.ts';
import type { SagaService } from '../saga-service.ts';
import type { CheckoutData } from '../sagas/checkout-saga.ts';
import { CheckoutBody, OrderParams, PartialRefundBody, SagaListQuery, SagaParams } from './saga-schemas.ts';

interface RouteOptions {
  service: SagaService;
  db: Kysely<unknown>;
  checkoutWaitMs: number;
  /** The saga service's schema (the admin list reads it). */
  schema: string;
  /** The admin list's `stuck`: no change for this long. */
  stuckAfterMs: number;
}

function totalOf(items: CheckoutBody['items']): Money {
  const [first, ...rest] = items;
  if (!first) throw new ApiError(400, 'invalid_request', 'a checkout needs at least one item');
  const line = (item: CheckoutBody['items'][number]): Money => money(item.unitPrice.amount * item.quantity, item.unitPrice.currency);
  try {
    return rest.reduce((sum, item) => addMoney(sum, line(item)), line(first));
  } catch (error) {
    throw new ApiError(400, 'invalid_request', `items must share one currency and stay within limits: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A saga belongs to its order's customer and restaurant; a refund saga names only the customer, so the restaurant comes from the order's checkout. */
async function partiesOf(service: SagaService, db: Kysely<unknown>, view: SagaView): Promise<Parties> {
  const data = view.data as { customerId?: unknown; restaurantId?: unknown; orderId?: unknown };
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  let restaurantId = text(data.restaurantId);
  const orderId = text(data.orderId);
  if (restaurantId === null && orderId !== null) {
    const checkout = (await service.engine.sagasOfOrder(db, orderId)).find((saga) => saga.type === 'checkout');
    restaurantId = text((checkout?.data as { restaurantId?: unknown } | undefined)?.restaurantId);
  }
  return { customerId: text(data.customerId), restaurantId };
}

async function visibleTo(service: SagaService, db: Kysely<unknown>, principal: Principal, view: SagaView): Promise<boolean> {
  return isParty(principal, await partiesOf(service, db, view));
}

/** Checkout, sagas with their timeline, and an admin's partial refund (SPEC §6). */
export async function sagaRoutes(http: FastifyInstance, options: RouteOptions): Promise<void> {
  const { service, db } = options;
  const tags = ['checkout'];

  http.post('/checkout', { schema: { tags, body: CheckoutBody, summary: 'Check out an order: the saga creates the order, reserves stock and creates the payment (the paying customer reads its client secret from GET /payments/:paymentId)', security: [{ bearer: [] }] } }, async (request, reply) => {
    const principal = requireRole(request, 'customer');
    const body = request.body as CheckoutBody;
    if (body.customerId && principal.role !== 'admin' && body.customerId !== principal.subject) throw new ApiError(403, 'forbidden', 'a customer checks out for themselves only');
    const customerId = principal.role === 'admin' ? body.customerId ?? principal.subject : principal.subject;
    // Admission control: past the bound on sagas in flight, refuse at once rather than slow every admitted saga down.
    const admission = service.admission.decide();
    if (!admission.admitted) {
      throw new Overloaded(`too many checkouts in flight (${admission.inFlight} of ${admission.limit}); retry after ${admission.retryAfterSeconds} s`, admission.retryAfterSeconds,
        { inFlight: admission.inFlight, limit: admission.limit });
    }
    // Named by the caller's Idempotency-Key: a retry after a crash finds the saga the first attempt started (engine.start is idempotent).
    const orderId = `ord_${idempotentId(request, 'checkout') ?? randomBytes(12).toString('hex')}`;
    const sagaId = `checkout-${orderId}`;
    const data: CheckoutData = {
      orderId, customerId, restaurantId: body.restaurantId, items: body.items, total: totalOf(body.items), deliveryAddress: body.deliveryAddress,
      paymentId: null, captured: false, deliveryId: null, failure: null,
      paymentWindowMs: body.paymentWindowSeconds === undefined ? null : body.paymentWindowSeconds * 1_000,
    };
    const started = await service.startCheckout({ sagaId, data });
    // The first three steps run over the transport; wait (bounded) until the payment exists, so the customer can pay at
    // once — woken by the commit that records it (or ends the saga), not by polling its row. A saga this request
    // started is known to be RUNNING without a payment; one a retried request finds is read first.
    const view = await service.progress.waitFor(sagaId, {
      until: (state) => state.status !== 'RUNNING' || Boolean((state.data as CheckoutData).paymentId),
      read: () => service.engine.peek(db, sagaId),
      timeoutMs: options.checkoutWaitMs,
      ...(started ? { known: { status: 'RUNNING' as const, data, failureReason: null } } : {}),
    });
    const now = (view?.data ?? data) as CheckoutData;
    // The payment id derives from the order id, so it is known before the payment exists; its client secret is read
    // from GET /payments/:paymentId by the paying customer only (it never travels on Kafka nor sits in saga data).
    const answer = { orderId, sagaId, customerId, status: view?.status ?? 'RUNNING', total: data.total, paymentId: now.paymentId ?? checkoutPaymentIdOf(orderId) };
    if (view?.status === 'COMPENSATING' || view?.status === 'COMPENSATED' || view?.status === 'FAILED') {
      return reply.code(409).send(errorBody(`checkout_failed`, `checkout failed: ${view.failureReason ?? 'unknown reason'}`, { ...answer, failure: now.failure }));
    }
    return reply.code(now.paymentId ? 201 : 202).send(answer);
  });

  http.get('/sagas/:sagaId', { schema: { tags, params: SagaParams, summary: 'A saga with its timeline (the step log)', security: [{ bearer: [] }] } }, async (request) => {
    const principal = requireRole(request, 'customer', 'restaurant');
    const { sagaId } = request.params as SagaParams;
    const view = await service.engine.view(db, sagaId);
    if (!view || !await visibleTo(service, db, principal, view)) throw notFound('saga', sagaId);
    return view;
  });

  http.get('/sagas', { schema: { tags, querystring: SagaListQuery, summary: 'The sagas of an order (with their timelines); admins may instead filter every saga by status, type, customer, age or stuck', security: [{ bearer: [] }] } }, async (request) => {
    const principal = requireRole(request, 'customer', 'restaurant');
    const query = request.query as SagaListQuery;
    const { orderId } = query;
    if (orderId === undefined) {
      requireRole(request);
      const limit = Math.min(query.limit === undefined ? 100 : Number(query.limit), 500);
      const filter: SagaListFilter = {
        limit, ...(query.status ? { status: query.status } : {}), ...(query.type ? { type: query.type } : {}), ...(query.customerId ? { customerId: query.customerId } : {}),
        ...(query.olderThanSeconds ? { olderThanMs: Number(query.olderThanSeconds) * 1_000 } : {}),
        ...(query.newerThanSeconds ? { newerThanMs: Number(query.newerThanSeconds) * 1_000 } : {}),
        ...(query.stuck === 'true' ? { stuck: true } : {}),
      };
      return { sagas: await listSagas(db, options.schema, filter, options.stuckAfterMs) };
    }
    const views = (await Promise.all((await service.engine.sagasOfOrder(db, orderId)).map((saga) => service.engine.view(db, saga.id))))
      .filter((view): view is SagaView => view !== undefined);
    // Someone else's order looks like one without sagas.
    const visible = await Promise.all(views.map(async (view) => (await visibleTo(service, db, principal, view) ? [view] : [])));
    return { sagas: visible.flat() };
  });

  http.post('/orders/:orderId/refunds', { schema: { tags, params: OrderParams, body: PartialRefundBody, summary: 'Admin: refund part of a paid order', security: [{ bearer: [] }] } }, async (request, reply) => {
    requireRole(request, 'admin');
    const { orderId } = request.params as OrderParams;
    const body = request.body as PartialRefundBody;
    // Named by the caller's key: a retry after a crash finds this refund's saga instead of refunding twice.
    const sagaId = `refund-${orderId}-${idempotentId(request, 'partial-refund') ?? randomBytes(12).toString('hex')}`;
    // Refused up front (4xx) when more than remains, in another currency, unpaid or cancelled; decided under the order's saga locks.
    const decision = await service.startPartialRefund({ sagaId, orderId, amount: body.amount, reason: body.reason });
    if (!decision.ok) throw new ApiError(decision.status, decision.code, decision.message, decision.details);
    return reply.code(202).send({ orderId, sagaId });
  });
}
