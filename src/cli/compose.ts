import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Transport } from '../platform/messaging/transport.ts';
import type { RetentionWorker } from '../platform/database/retention.ts';
import type { PlatformMetrics } from '../platform/observability/platform-metrics.ts';
import type { Logger } from '../platform/observability/logger.ts';
import type { DeploymentSecrets, PlatformConfig } from '../platform/config.ts';
import { SERVICE_SCHEMAS, type ServiceName } from './service-names.ts';

export { isServiceName, SERVICE_NAMES, SERVICE_SCHEMAS, type ServiceName } from './service-names.ts';

/** What the wiring needs of a service: its routes, start and stop (readiness comes from the metrics it reports). */
export interface RunnableService {
  routes(http: FastifyInstance): Promise<void>;
  /** A retention pass over the service's schema, with the rules it runs with. */
  retention(): RetentionWorker;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CompositionContext {
  db: Kysely<unknown>;
  transport: Transport;
  /** Every setting, validated at start; a service gets its own values from here, never from the environment. */
  config: PlatformConfig;
  secrets: DeploymentSecrets;
  /** The Stripe API the payment service calls (the in-process simulator in embedded mode). */
  gatewayUrl: string;
  /** Schema name of a service in this deployment (namespaced when PAYSAGA_NAMESPACE is set). */
  schema(name: string): string;
  /** The process's metrics, which every service reports to. */
  metrics?: PlatformMetrics;
  /** The process's logger; each service gets a child bound to its name. */
  logger: Logger;
}

/**
 * Builds one service from its own configuration. Each service owns its schema
 * and its consumer group, so the same code runs all of them in one process or
 * each in its own. A service's code is loaded only when it is built: a process
 * serving the saga service never loads the Stripe SDK, for one.
 */
export async function createService(name: ServiceName, context: CompositionContext): Promise<RunnableService> {
  const { db, transport, config, secrets } = context;
  const own = { db, transport, logger: context.logger.child({ service: name }), retention: config.retention, ...(context.metrics ? { metrics: context.metrics } : {}) };
  switch (name) {
    case 'payment': {
      const { createPaymentService } = await import('../services/payment/payment-service.ts');
      const payment = await createPaymentService({
        ...own, schema: context.schema(SERVICE_SCHEMAS.payment), stripe: { apiKey: secrets.stripeApiKey, apiBase: context.gatewayUrl }, webhookSecret: secrets.stripeWebhookSecret,
        reconciler: { staleAfterMs: config.payment.reconcileAfterMs, intervalMs: config.payment.reconcileIntervalMs },
      });
      return payment;
    }
    case 'saga': {
      const { createSagaService } = await import('../services/saga/saga-service.ts');
      return createSagaService({
        ...own, schema: context.schema(SERVICE_SCHEMAS.saga),
        paymentDeadlineMs: config.saga.paymentDeadlineMs,
        commandTimeoutMs: config.saga.commandTimeoutMs,
        maxResends: config.saga.commandMaxResends,
        maxCheckoutsInFlight: config.saga.checkoutMaxInFlight,
        stuckAfterMs: config.observability.sagaStuckAfterMs,
      });
    }
    case 'order': {
      const { createOrderService } = await import('../services/order/order-service.ts');
      return createOrderService({ ...own, schema: context.schema(SERVICE_SCHEMAS.order) });
    }
    case 'inventory': {
      const { createInventoryService } = await import('../services/inventory/inventory-service.ts');
      const { DEFAULT_MENU } = await import('../services/inventory/menu.ts');
      // SEED_MENU=false starts with an empty catalogue (products then come through POST /products).
      return createInventoryService({ ...own, schema: context.schema(SERVICE_SCHEMAS.inventory), ...(config.inventory.seedMenu ? { menu: DEFAULT_MENU } : {}) });
    }
    case 'delivery': {
      const { createDeliveryService } = await import('../services/delivery/delivery-service.ts');
      return createDeliveryService({ ...own, schema: context.schema(SERVICE_SCHEMAS.delivery) });
    }
    case 'notification': {
      const { createNotificationService } = await import('../services/notification/notification-service.ts');
      const { channelFor } = await import('../services/notification/notification-config.ts');
      return createNotificationService({ ...own, schema: context.schema(SERVICE_SCHEMAS.notification), channel: channelFor(config.notification) });
    }
  }
}
