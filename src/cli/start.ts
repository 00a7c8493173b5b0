import { sql } from 'kysely';
import { startGatewaySimulator, type GatewaySimulator } from '../gateway/simulator/index.ts';
import type { PlatformConfig } from '../platform/config.ts';
import { openDatabase } from '../platform/database/database.ts';
import { migrateSchema } from '../platform/database/migrations.ts';
import { platformMigrations } from '../platform/database/platform-tables.ts';
import { DeadLetterStore } from '../platform/dead-letters/dead-letter-store.ts';
import { issueToken, useBearerAuth } from '../platform/http/auth.ts';
import { deadLetterRoutes } from '../platform/http/dead-letter-routes.ts';
import { createHttpServer } from '../platform/http/http-server.ts';
import { installGracefulShutdown } from '../platform/lifecycle/graceful-shutdown.ts';
import { namespacedSchema, openTransport } from '../platform/messaging/open-transport.ts';
import { paysagaTopicSpecs } from '../platform/messaging/topic-specs.ts';
import type { Transport } from '../platform/messaging/transport.ts';
import { loadPaymentConfig } from '../services/payment/payment-config.ts';
import { createService, SERVICE_SCHEMAS, type RunnableService, type ServiceName } from './compose.ts';

/** Embedded mode's signing secret: fine on a laptop, printed as a warning; set AUTH_SECRET anywhere else. */
export const DEVELOPMENT_AUTH_SECRET = 'paysaga-development-secret-change-me-0123456789';

export interface StartedPlatform {
  url: string;
  gatewayUrl: string;
  transportKind: string;
  databaseKind: string;
  services: readonly ServiceName[];
  authSecret: string;
  /** The process's transport (tools and tests publish through it). */
  transport: Transport;
  stop(): Promise<void>;
}

export interface StartOptions {
  services: readonly ServiceName[];
  env?: NodeJS.ProcessEnv;
  installSignals?: boolean;
  /** Runs after the services are up and before the banner (embedded mode seeds its menu here). */
  afterStart?: (context: { services: Map<ServiceName, RunnableService> }) => Promise<void>;
}

/**
 * Runs some or all services in one process: transport (in-process, or Kafka
 * with KAFKA_BROKERS), database (PGlite, or DATABASE_URL), every topic, the
 * gateway simulator when the payment service runs without STRIPE_API_BASE, and
 * one HTTP server with bearer auth for all their routes.
 */
export async function startPlatform(config: PlatformConfig, options: StartOptions): Promise<StartedPlatform> {
  const env = options.env ?? process.env;
  const transport = openTransport(config, `paysaga-${options.services.join('-')}`);
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: config.databaseMaxConnections });
  await migrateSchema(database.db, namespacedSchema(config, 'platform'), platformMigrations);
  await transport.ensureTopics(paysagaTopicSpecs(config));

  const paymentConfig = loadPaymentConfig(env);
  let simulator: GatewaySimulator | null = null;
  if (options.services.includes('payment') && !paymentConfig.stripe.apiBase) {
    // Embedded mode brings its own Stripe: the simulator on a free loopback port, webhooks pointed back at us once we listen.
    simulator = await startGatewaySimulator({ port: 0, webhookUrl: null, webhookSecret: paymentConfig.stripe.webhookSecret });
  }
  const gatewayUrl = paymentConfig.stripe.apiBase ?? simulator?.url ?? '';

  const services = new Map<ServiceName, RunnableService>();
  for (const name of options.services) services.set(name, await createService(name, { db: database.db, transport, env, gatewayUrl, schema: (schema) => namespacedSchema(config, schema) }));

  const authSecret = env.AUTH_SECRET ?? DEVELOPMENT_AUTH_SECRET;
  const http = await createHttpServer({ title: 'paysaga' });
  useBearerAuth(http, { secret: authSecret });
  http.get('/health/live', { schema: { hide: true }, config: { auth: false } }, async () => ({ status: 'ok' }));
  http.get('/health/ready', { schema: { hide: true }, config: { auth: false } }, async (_request, reply) => {
    const [kafka, db] = await Promise.all([
      transport.ping(),
      sql`select 1`.execute(database.db).then(() => true, () => false),
    ]);
    const extra = Object.assign({}, ...[...services.values()].map((service) => service.health?.() ?? {})) as Record<string, string | boolean>;
    // An open gateway breaker degrades payments but the instance still serves reads and webhooks: reported, not fatal.
    const ready = kafka && db;
    const degraded = Object.values(extra).some((value) => value === 'open' || value === 'half-open');
    return reply.code(ready ? 200 : 503).send({
      status: ready ? (degraded ? 'degraded' : 'ready') : 'not ready',
      services: options.services, checks: { transport: kafka, database: db, ...extra },
    });
  });
  for (const service of services.values()) await service.routes(http);
  const deadLetters = new Map(options.services.map((name) => [name, new DeadLetterStore(database.db, namespacedSchema(config, SERVICE_SCHEMAS[name]))]));
  await deadLetterRoutes(http, deadLetters);
  const url = await http.listen({ port: config.httpPort, host: config.httpHost });
  simulator?.setWebhookEndpoint(`${url}/webhooks/stripe`, paymentConfig.stripe.webhookSecret);
  for (const service of services.values()) await service.start();
  await options.afterStart?.({ services });

  const steps = [
    { name: 'stop HTTP', run: () => http.close() },
    ...[...services.entries()].map(([name, service]) => ({ name: `stop ${name}`, run: () => service.stop() })),
    { name: 'stop gateway simulator', run: async () => { await simulator?.close(); } },
    { name: 'disconnect transport', run: () => transport.close() },
    { name: 'close database', run: () => database.close() },
  ];
  if (options.installSignals !== false) installGracefulShutdown(steps);
  return {
    url, gatewayUrl, transportKind: transport.kind, databaseKind: database.kind, services: options.services, authSecret, transport,
    async stop() { for (const step of steps) await step.run(); },
  };
}

export async function describeStart(started: StartedPlatform, config: PlatformConfig): Promise<string> {
  const customer = await issueToken(started.authSecret, { subject: 'cust-1', role: 'customer' });
  const admin = await issueToken(started.authSecret, { subject: 'admin-1', role: 'admin' });
  return [
    `paysaga is up: ${started.services.join(', ')} (${started.transportKind} transport, ${started.databaseKind} database, ${paysagaTopicSpecs(config).length} topics)`,
    `  API:        ${started.url}   (OpenAPI: ${started.url}/openapi.json)`,
    `  gateway:    ${started.gatewayUrl || '(not used by these services)'}`,
    `  readiness:  curl ${started.url}/health/ready`,
    ...(started.authSecret === DEVELOPMENT_AUTH_SECRET ? ['  auth:       development secret in use; set AUTH_SECRET for anything but a laptop'] : []),
    `  tokens (24 h): customer cust-1  export CUSTOMER=${customer}`,
    `                 admin admin-1    export ADMIN=${admin}`,
    ...(started.services.includes('saga') ? [
      '  a first checkout (two pizzas from the seeded menu), then pay with Stripe\'s success test card:',
      `    curl -s -X POST ${started.url}/checkout -H "authorization: Bearer $CUSTOMER" -H 'content-type: application/json' \\`,
      `      -d '{"restaurantId":"resto-1","items":[{"productId":"margherita","name":"Pizza Margherita","quantity":2,"unitPrice":{"amount":1200,"currency":"USD"}}],"deliveryAddress":"1 Main Street"}'`,
      `    curl -s -X POST ${started.url}/payments/<paymentId>/confirm -H "authorization: Bearer $CUSTOMER" -H 'content-type: application/json' -d '{"paymentMethod":"pm_card_visa"}'`,
      `    curl -s ${started.url}/orders/<orderId> -H "authorization: Bearer $CUSTOMER"        # CONFIRMED`,
      `    curl -s ${started.url}/sagas/checkout-<orderId> -H "authorization: Bearer $CUSTOMER" # the saga's timeline`,
      '  (pm_card_visa_chargeDeclined instead: the order ends PAYMENT_FAILED and the stock is back)',
    ] : []),
    'Ctrl-C stops it gracefully.',
  ].join('\n');
}
