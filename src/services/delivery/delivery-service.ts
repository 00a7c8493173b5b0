import { ServiceRuntime, type RunningService, type ServiceOptions } from '../../platform/service/service-runtime.ts';
import { handleDeliveryCommands } from './application/delivery-commands.ts';
import { DeliveryApplication } from './application/delivery-application.ts';
import type { DeliveryView } from './application/delivery-view.ts';
import { defaultDeliveryArea, type DeliveryAreaRule } from './domain/delivery-area.ts';
import { deliveryRoutes } from './http/delivery-routes.ts';
import { deliveryMigrations } from './store/migrations.ts';

export interface DeliveryServiceOptions extends ServiceOptions {
  /** The delivery area (default: every address except one containing the word "unreachable"). */
  isDeliverable?: DeliveryAreaRule;
}

export interface DeliveryService extends RunningService {
  readonly app: DeliveryApplication;
  /** The delivery of an order, or null (for tests and tools). */
  findByOrder(orderId: string): Promise<DeliveryView | null>;
}

/** Wires the delivery service: its schema, outbox relay, the CreateDelivery/CancelDelivery command handlers and the courier routes. */
export async function createDeliveryService(options: DeliveryServiceOptions): Promise<DeliveryService> {
  const runtime = await ServiceRuntime.create({ ...options, schema: options.schema ?? 'delivery', groupId: options.groupId ?? 'delivery', migrations: deliveryMigrations });
  const app = new DeliveryApplication({ db: runtime.db, schema: runtime.schema, isDeliverable: options.isDeliverable ?? defaultDeliveryArea, onOutboxWrite: runtime.wakeRelay });
  handleDeliveryCommands(runtime.consumer, app);
  return {
    app, relay: runtime.relay, consumer: runtime.consumer, retention: runtime.retention,
    findByOrder: (orderId) => app.findByOrder(orderId),
    routes: (http) => runtime.mount(http, (scope) => deliveryRoutes(scope, app)),
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
}
