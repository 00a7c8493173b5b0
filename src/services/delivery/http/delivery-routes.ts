import type { FastifyInstance } from 'fastify';
import { ApiError, notFound } from '../../../platform/http/api-error.ts';
import { isParty, requireRole, type Principal } from '../../../platform/http/auth.ts';
import type { DeliveryApplication } from '../application/delivery-application.ts';
import type { DeliveryView } from '../application/delivery-view.ts';
import { DeliveryListQuery, DeliveryParams, StatusUpdateBody } from './delivery-schemas.ts';

/**
 * Who may see a delivery: the order's customer and restaurant, the courier it is
 * assigned to, and admins. One not yet assigned is open to every courier: that
 * is how a courier finds it and claims it (COURIER_ASSIGNED).
 */
function visibleTo(principal: Principal, delivery: DeliveryView): boolean {
  const open = delivery.courierId === null && delivery.status === 'CREATED';
  return (principal.role === 'courier' && open) || isParty(principal, delivery);
}

/** The delivery service's HTTP API: reads for the parties of a delivery; status updates by couriers. */
export async function deliveryRoutes(http: FastifyInstance, app: DeliveryApplication): Promise<void> {
  const tags = ['deliveries'];
  const security = [{ bearer: [] }];

  http.get('/deliveries/:deliveryId', { schema: { tags, security, params: DeliveryParams, summary: 'A delivery with its status history' } }, async (request) => {
    const principal = requireRole(request, 'courier', 'restaurant', 'customer');
    const { deliveryId } = request.params as DeliveryParams;
    const delivery = await app.view(deliveryId);
    if (!visibleTo(principal, delivery)) throw notFound('delivery', deliveryId);
    return delivery;
  });

  http.get('/deliveries', { schema: { tags, security, querystring: DeliveryListQuery, summary: 'The delivery of an order (an empty list if none)' } }, async (request) => {
    const principal = requireRole(request, 'courier', 'restaurant', 'customer');
    const delivery = await app.findByOrder((request.query as DeliveryListQuery).orderId);
    // Someone else's delivery looks like none.
    return { deliveries: delivery !== null && visibleTo(principal, delivery) ? [delivery] : [] };
  });

  http.post('/deliveries/:deliveryId/status', {
    schema: { tags, security, params: DeliveryParams, body: StatusUpdateBody, summary: 'A courier moves the delivery on (publishes delivery.updated)' },
  }, async (request) => {
    const principal = requireRole(request, 'courier');
    const { deliveryId } = request.params as DeliveryParams;
    const body = request.body as StatusUpdateBody;
    if (principal.role === 'courier' && body.courierId !== undefined && body.courierId !== principal.subject) {
      throw new ApiError(403, 'forbidden', 'a courier acts only for themselves: leave courierId out or give your own id');
    }
    if (!visibleTo(principal, await app.view(deliveryId))) throw notFound('delivery', deliveryId);
    const courierId = principal.role === 'courier' ? principal.subject : body.courierId ?? null;
    return app.updateStatus(deliveryId, { status: body.status, courierId });
  });
}
