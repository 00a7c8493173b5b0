import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MessageContext } from '../../../contracts/codec.ts';
import { ApiError, notFound } from '../../../platform/http/api-error.ts';
import { requireParty, requireRole, type Principal } from '../../../platform/http/auth.ts';
import type { ChangeOutcome, OrderApplication } from '../application/order-application.ts';
import { orderViewOf, type OrderRow, type OrderView } from '../application/order-view.ts';
import { decideCustomerCancel, decideKitchenUpdate } from '../domain/order-decisions.ts';
import { CancelOrderBody, KitchenStatusBody, OrderListQuery, OrderParams } from './order-schemas.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** Events raised over HTTP carry the order's own saga correlation and trace. */
const contextOf = (order: OrderRow): MessageContext => ({
  source: 'order', key: order.id, correlationId: order.correlation_id, causationId: null, traceparent: order.traceparent,
});

/** The order, or 404 — also for a customer or restaurant asking after someone else's order, so ids do not leak. */
async function visibleOrder(app: OrderApplication, principal: Principal, orderId: string): Promise<OrderRow> {
  const row = await app.findRow(orderId);
  if (!row) throw notFound('order', orderId);
  requireParty(principal, { customerId: row.customer_id, restaurantId: row.restaurant_id }, 'order', orderId);
  return row;
}

/** The order after a change; a refusal is 409 with the status it is in (nothing was written). */
async function afterChange(app: OrderApplication, orderId: string, outcome: ChangeOutcome): Promise<OrderView> {
  if (outcome.kind === 'not_found') throw notFound('order', orderId);
  if (outcome.kind === 'refused') throw new ApiError(409, outcome.code, outcome.message, { status: outcome.order.status });
  // The change hands back the row as it committed: the view needs only its history.
  return app.viewOf(outcome.order);
}

/** The order service's HTTP API (SPEC §6): read orders, the restaurant's kitchen steps, the customer's cancellation. */
export async function orderRoutes(http: FastifyInstance, app: OrderApplication): Promise<void> {
  const tags = ['orders'];
  const security = [{ bearer: [] }];

  // Couriers work from deliveries (which carry the address), not orders.
  http.get('/orders/:orderId', { schema: { tags, security, params: OrderParams, summary: 'An order with its status history (its customer, its restaurant, admins)' } }, async (request) => {
    const principal = requireRole(request, 'customer', 'restaurant');
    const { orderId } = request.params as OrderParams;
    // The row and its history in one read; the access check is on the row, before anything is shown.
    const found = await app.findWithHistory(orderId);
    if (!found) throw notFound('order', orderId);
    requireParty(principal, { customerId: found.row.customer_id, restaurantId: found.row.restaurant_id }, 'order', orderId);
    return orderViewOf(found.row, found.history);
  });

  http.get('/orders', { schema: { tags, security, querystring: OrderListQuery, summary: 'Orders, newest first: a customer sees their own, a restaurant its own restaurant\'s, admins every order' } }, async (request) => {
    const principal = requireRole(request, 'customer', 'restaurant');
    const query = request.query as OrderListQuery;
    const limit = Math.min(query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit), MAX_LIMIT);
    const orders = await app.list({
      ...(principal.role === 'customer' ? { customerId: principal.subject } : {}),
      // A restaurant's token subject is its restaurant id (as for status changes): it lists its own kitchen's orders.
      ...(principal.role === 'restaurant' ? { restaurantId: principal.subject } : {}),
      ...(query.status === undefined ? {} : { status: query.status }),
      limit,
    });
    return { orders };
  });

  http.post('/orders/:orderId/status', {
    schema: { tags, security, params: OrderParams, body: KitchenStatusBody, summary: 'The restaurant moves the order to PREPARING or READY_FOR_PICKUP (publishes order.updated)' },
  }, async (request: FastifyRequest) => {
    const principal = requireRole(request, 'restaurant');
    const { orderId } = request.params as OrderParams;
    const body = request.body as KitchenStatusBody;
    // A restaurant acts only on its own orders; another's looks like none.
    await visibleOrder(app, principal, orderId);
    const outcome = await app.changeNow(orderId, { decide: (order) => decideKitchenUpdate(order.status, body.status), reason: body.reason ?? null, context: contextOf });
    return afterChange(app, orderId, outcome);
  });

  http.post('/orders/:orderId/cancel', {
    schema: { tags, security, params: OrderParams, body: CancelOrderBody, summary: 'Cancel a paid order before delivery: it becomes CANCELLING and the refund saga gives money and stock back (202)' },
  }, async (request, reply) => {
    const principal = requireRole(request, 'customer');
    const { orderId } = request.params as OrderParams;
    const { reason } = request.body as CancelOrderBody;
    await visibleOrder(app, principal, orderId);
    const outcome = await app.changeNow(orderId, { decide: (order) => decideCustomerCancel(order.status), reason, context: contextOf });
    return reply.code(202).send(await afterChange(app, orderId, outcome));
  });
}
