import { ServiceRuntime, type RunningService, type ServiceOptions } from '../../platform/service/service-runtime.ts';
import { handleNotificationCommands } from './application/notification-commands.ts';
import { NotificationDispatcher, type DispatchPolicy } from './application/notification-dispatcher.ts';
import { notificationsOfOrder } from './application/notification-repository.ts';
import { notificationViewOf, type NotificationView } from './application/notification-view.ts';
import { LogChannel } from './channels/log-channel.ts';
import type { NotificationChannel } from './channels/notification-channel.ts';
import { notificationRoutes } from './http/notification-routes.ts';
import { notificationMigrations } from './store/migrations.ts';

export interface NotificationServiceOptions extends ServiceOptions {
  /** Where notifications go (default: a JSON line per notification on console.log); see `channelFor(config.notification)` in the composition. */
  channel?: NotificationChannel;
  /** Attempts, backoff, retry-loop period, claim lease, concurrency of sends. */
  sending?: Partial<DispatchPolicy>;
}

export interface NotificationService extends RunningService {
  readonly dispatcher: NotificationDispatcher;
  /** The notifications of an order (for tests and tools). */
  findByOrder(orderId: string): Promise<NotificationView[]>;
}

/** Wires the notification service: its schema, outbox relay (for saga replies), the SendNotification handler, the dispatcher and the route. */
export async function createNotificationService(options: NotificationServiceOptions): Promise<NotificationService> {
  const runtime = await ServiceRuntime.create({ ...options, schema: options.schema ?? 'notification', groupId: options.groupId ?? 'notification', migrations: notificationMigrations });
  const { db, schema, logger } = runtime;
  const dispatcher = new NotificationDispatcher({
    db, schema, channel: options.channel ?? new LogChannel(), logger: logger.child({ component: 'notification-dispatcher' }),
    ...(options.sending ? { policy: options.sending } : {}),
  });
  // Stopped after the consumer (its post-commit sends join the dispatcher) and before the relay flushes the replies.
  runtime.addWorker(dispatcher);
  handleNotificationCommands(runtime.consumer, { schema, dispatcher });
  const findByOrder = async (orderId: string): Promise<NotificationView[]> => (await notificationsOfOrder(db, schema, orderId)).map(notificationViewOf);
  return {
    relay: runtime.relay, consumer: runtime.consumer, retention: runtime.retention, dispatcher, findByOrder,
    routes: (http) => runtime.mount(http, (scope) => notificationRoutes(scope, { listByOrder: findByOrder })),
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
}
