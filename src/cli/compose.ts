import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Transport } from '../platform/messaging/transport.ts';
import type { RetentionWorker } from '../platform/database/retention.ts';
import type { PlatformMetrics } from '../platform/observability/platform-metrics.ts';
import type { Logger } from '../platform/observability/logger.ts';
import type { DeploymentSecrets, PlatformConfig } from '../platform/config.ts';
import { createDeliveryService } from '../services/delivery/delivery-service.ts';
import { createInventoryService } from '../services/inventory/inventory-service.ts';
import { DEFAULT_MENU } from '../services/inventory/menu.ts';
import { channelFor } from '../services/notification/notification-config.ts';
import { createNotificationService } from '../services/notification/notification-service.ts';
import { createOrderService } from '../services/order/order-service.ts';
import { createPaymentService } from '../services/payment/payment-service.ts';
import { createSagaService } from '../services/saga/saga-service.ts';

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
 * each in its own.
 */
export async function createService(name: ServiceName, context: CompositionContext): Promise<RunnableService> {
  const { db, transport, config, secrets } = context;
  const own = { db, transport, logger: context.logger.child({ service: name }), retention: config.retention, ...(context.metrics ? { metrics: context.metrics } : {}) };
  switch (name) {
    case 'payment': {
      const payment = await createPaymentService({
        ...own, schema: context.schema(SERVICE_SCHEMAS.payment), stripe: { apiKey: secrets.stripeApiKey, apiBase: context.gatewayUrl }, webhookSecret: secrets.stripeWebhookSecret,
        reconciler: { staleAfterMs: config.payment.reconcileAfterMs, intervalMs: config.payment.reconcileIntervalMs },
      });
      return payment;
    }
    case 'saga':
      return createSagaService({
        ...own, schema: context.schema(SERVICE_SCHEMAS.saga),
        paymentDeadlineMs: config.saga.paymentDeadlineMs,
        commandTimeoutMs: config.saga.commandTimeoutMs,
        maxResends: config.saga.commandMaxResends,
        maxCheckoutsInFlight: config.saga.checkoutMaxInFlight,
        stuckAfterMs: config.observability.sagaStuckAfterMs,
      });
    case 'order':
      return createOrderService({ ...own, schema: context.schema(SERVICE_SCHEMAS.order) });
    case 'inventory':
      // SEED_MENU=false starts with an empty catalogue (products then come through POST /products).
      return createInventoryService({ ...own, schema: context.schema(SERVICE_SCHEMAS.inventory), ...(config.inventory.seedMenu ? { menu: DEFAULT_MENU } : {}) });
    case 'delivery':
      return createDeliveryService({ ...own, schema: context.schema(SERVICE_SCHEMAS.delivery) });
    case 'notification':
      return createNotificationService({ ...own, schema: context.schema(SERVICE_SCHEMAS.notification), channel: channelFor(config.notification) });
  }
}
