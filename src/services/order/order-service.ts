import { ServiceRuntime, type RunningService, type ServiceOptions } from '../../platform/service/service-runtime.ts';
import { consumeDeliveryUpdates } from './application/delivery-updates.ts';
import { OrderApplication } from './application/order-application.ts';
import { handleOrderCommands } from './application/order-commands.ts';
import type { OrderView } from './application/order-view.ts';
import { orderRoutes } from './http/order-routes.ts';
import { orderMigrations } from './store/migrations.ts';

/** The order service needs nothing beyond what every service takes. */
export type OrderServiceOptions = ServiceOptions;

export interface OrderService extends RunningService {
  readonly app: OrderApplication;
  /** An order with its status history, or null (for tests, tools and the auditor). */
  findOrder(orderId: string): Promise<OrderView | null>;
}

/** Wires the order service: its schema, outbox relay, the saga command handlers, the delivery.updated consumer and the routes. */
export async function createOrderService(options: OrderServiceOptions): Promise<OrderService> {
  const runtime = await ServiceRuntime.create({ ...options, schema: options.schema ?? 'orders', groupId: options.groupId ?? 'order', migrations: orderMigrations });
  const app = new OrderApplication({ db: runtime.db, schema: runtime.schema, onOutboxWrite: runtime.wakeRelay });
  handleOrderCommands(runtime.consumer, app);
  consumeDeliveryUpdates(runtime.consumer, app);
  return {
    app, relay: runtime.relay, consumer: runtime.consumer, retention: runtime.retention,
    findOrder: (orderId) => app.view(orderId),
    routes: (http) => runtime.mount(http, (scope) => orderRoutes(scope, app)),
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
}
