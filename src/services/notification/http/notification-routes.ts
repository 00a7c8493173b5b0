import type { FastifyInstance } from 'fastify';
import { requireRole } from '../../../platform/http/auth.ts';
import type { NotificationView } from '../application/notification-view.ts';
import { NotificationListQuery } from './notification-schemas.ts';

/** The notification service's HTTP API: what was said to the customer about an order, and whether it went out. */
export async function notificationRoutes(http: FastifyInstance, options: { listByOrder(orderId: string): Promise<NotificationView[]> }): Promise<void> {
  const tags = ['notifications'];
  http.get('/notifications', {
    schema: { tags, security: [{ bearer: [] }], querystring: NotificationListQuery, summary: 'Notifications of an order: what was said to its customer (the customer and admins only)' },
  }, async (request) => {
    // Messages to a customer are theirs: restaurants and couriers have their own channels (orders, deliveries).
    const principal = requireRole(request, 'customer');
    const notifications = await options.listByOrder((request.query as NotificationListQuery).orderId);
    return {
      notifications: principal.role === 'customer' ? notifications.filter((notification) => notification.customerId === principal.subject) : notifications,
    };
  });
}
