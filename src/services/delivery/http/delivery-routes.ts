import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../../platform/http/api-error.ts';
import { requireOwnerOrStaff, requireRole } from '../../../platform/http/auth.ts';
import type { DeliveryApplication } from '../application/delivery-application.ts';
import { DeliveryListQuery, DeliveryParams, StatusUpdateBody } from './delivery-schemas.ts';

/** The delivery service's HTTP API: reads for couriers, restaurants, admins and the order's customer; status updates by couriers. */
export async function deliveryRoutes(http: FastifyInstance, app: DeliveryApplication): Promise<void> {
  const tags = ['deliveries'];
  const security = [{ bearer: [] }];

  http.get('/deliveries/:deliveryId', { schema: { tags, security, params: DeliveryParams, summary: 'A delivery with its status history' } }, async (request) => {
    const principal = requireRole(request, 'courier', 'restaurant', 'customer');
    const { deliveryId } = request.params as DeliveryParams;
    const delivery = await app.view(deliveryId);
    requireOwnerOrStaff(principal, delivery.customerId, 'delivery', deliveryId);
    return delivery;
  });

  http.get('/deliveries', { schema: { tags, security, querystring: DeliveryListQuery, summary: 'The delivery of an order (an empty list if none)' } }, async (request) => {
    const principal = requireRole(request, 'courier', 'restaurant', 'customer');
    const delivery = await app.findByOrder((request.query as DeliveryListQuery).orderId);
    // A customer sees only their own order's delivery; someone else's looks like none.
    const visible = delivery !== null && (principal.role !== 'customer' || delivery.customerId === principal.subject);
    return { deliveries: visible ? [delivery] : [] };
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
    const courierId = principal.role === 'courier' ? principal.subject : body.courierId ?? null;
    return app.updateStatus(deliveryId, { status: body.status, courierId });
  });
}
