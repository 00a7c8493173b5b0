import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { GatewaySimulator } from '../gateway/simulator/index.ts';
import { deploymentSecrets, isEmbedded, type PlatformConfig } from '../platform/config.ts';
import { openDatabase, type Database } from '../platform/database/database.ts';
import { migrateSchema } from '../platform/database/migrations.ts';
import { platformMigrations } from '../platform/database/platform-tables.ts';
import { platformRetentionRules, RetentionWorker } from '../platform/database/retention.ts';
import { DeadLetterStore } from '../platform/dead-letters/dead-letter-store.ts';
import { issueToken, useBearerAuth } from '../platform/http/auth.ts';
import { deadLetterRoutes } from '../platform/http/dead-letter-routes.ts';
import { operatorRoutes } from '../platform/http/operator-routes.ts';
import { createHttpServer } from '../platform/http/http-server.ts';
import { useIdempotencyKeys } from '../platform/http/idempotency-keys.ts';
import { installGracefulShutdown, type ShutdownStep } from '../platform/lifecycle/graceful-shutdown.ts';
import { namespacedSchema, openTransport } from '../platform/messaging/open-transport.ts';
import { paysagaTopicSpecs } from '../platform/messaging/topic-specs.ts';
import { healthRoutes, metricsRoute } from '../platform/observability/health.ts';
import { PlatformMetrics } from '../platform/observability/platform-metrics.ts';
import type { Transport } from '../platform/messaging/transport.ts';
import { createLogger, loggedAndIgnored, type Logger } from '../platform/observability/logger.ts';
import { TracedTransport } from '../platform/observability/traced-transport.ts';
import type { Tracing } from '../platform/observability/tracing.ts';
import { createService, SERVICE_SCHEMAS, type RunnableService, type ServiceName } from './compose.ts';
import { checkoutWalkthrough } from './walkthrough.ts';

export interface StartedPlatform {
  url: string;
  gatewayUrl: string;
  transportKind: string;
  databaseKind: string;
  services: readonly ServiceName[];
  authSecret: string;
  /** Embedded mode (in-process transport, PGlite): development secrets allowed, demo tokens printed. */
  embedded: boolean;
  /** The process's transport (tools and tests publish through it). */
  transport: Transport;
  /** The process's metrics (served at /metrics). */
  metrics: PlatformMetrics;
  /** The HTTP server and the database (tests enumerate routes and count rows through them). */
  http: FastifyInstance;
  db: Kysely<unknown>;
  stop(): Promise<void>;
}

export interface StartOptions {
  services: readonly ServiceName[];
  installSignals?: boolean;
  /** Runs after the services are up and before the banner (embedded mode seeds its menu here). */
  afterStart?: (context: { services: Map<ServiceName, RunnableService> }) => Promise<void>;
  /** Told when the process starts starting (signals are handled from then on). */
  log?: (line: string) => void;
  /** The process's logger; by default JSON lines on stdout at LOG_LEVEL (pretty on a terminal). Tests pass one writing to a stream. */
  logger?: Logger;
  /**
   * Whether spans are recorded. By default the OTEL_* variables decide, and the SDK is started and
   * flushed here; `true` says the caller started it (a test's in-memory exporter).
   */
  traced?: boolean;
}

/**
 * Runs some or all services in one process: transport (in-process, or Kafka
 * with KAFKA_BROKERS), database (PGlite, or DATABASE_URL), every topic, the
 * gateway simulator when the payment service runs without STRIPE_API_BASE, and
 * one HTTP server with bearer auth for all their routes.
 */
export async function startPlatform(config: PlatformConfig, options: StartOptions): Promise<StartedPlatform> {
  // Refuses a deployment without secrets of its own before anything opens.
  const secrets = deploymentSecrets(config, { payment: options.services.includes('payment') });
  const logger = options.logger ?? createLogger({ level: config.logLevel, base: { services: options.services.join(','), ...(config.namespace ? { namespace: config.namespace } : {}) } });
  const traced = options.traced ?? config.observability.tracing;
  // Started before anything opens, so the first spans already have a provider.
  // The SDK (and its exporters) is loaded only when tracing is on.
  const tracing: Tracing | null = options.traced === undefined && config.observability.tracing ? (await import('../platform/observability/tracing.ts')).startTracing({ serviceName: config.observability.serviceName ?? `paysaga-${options.services.join('-')}` }) : null;
  // What is open so far, so that a stop — even one asked for by a signal in the middle of starting — closes exactly that.
  let http: FastifyInstance | null = null;
  let simulator: GatewaySimulator | null = null;
  let database: Database | null = null;
  let platformRetention: RetentionWorker | null = null;
  const services = new Map<ServiceName, RunnableService>();
  const startedServices = new Set<ServiceName>();
  let starting: Promise<{ url: string; gatewayUrl: string; databaseKind: Database['kind']; server: FastifyInstance; db: Kysely<unknown> }> | null = null;
  const transport = new TracedTransport(openTransport(config, `paysaga-${options.services.join('-')}`, logger.child({ component: 'kafka' })));
  const metrics = new PlatformMetrics();
  const steps: ShutdownStep[] = [
    // A SIGTERM during start waits for the start to end (or fail), then stops what it opened.
    { name: 'finish starting', run: async () => { await starting?.catch(loggedAndIgnored(logger, 'debug', 'start had failed; stopping what it opened')); } },
    { name: 'stop HTTP', run: async () => { await http?.close(); } },
    ...options.services.map((name) => ({ name: `stop ${name}`, run: async () => { if (startedServices.has(name)) await services.get(name)?.stop(); } })),
    { name: 'stop platform retention', run: async () => { await platformRetention?.stop(); } },
    { name: 'stop gateway simulator', run: async () => { await simulator?.close(); } },
    { name: 'disconnect transport', run: () => transport.close() },
    { name: 'close database', run: async () => { await database?.close(); } },
    { name: 'flush traces', run: async () => { await tracing?.shutdown(); } },
  ];
  if (options.installSignals !== false) installGracefulShutdown(steps, { timeoutMs: config.shutdownTimeoutMs, log: (message) => { logger.info(message); } });
  options.log?.(`paysaga: starting ${options.services.join(', ')} (pid ${process.pid})`);
  const stop = async (): Promise<void> => { for (const step of steps) await step.run(); };
  let ready = false;

  starting = (async () => {
    const opened = await openDatabase({ url: config.databaseUrl, maxConnections: config.databaseMaxConnections, logger: logger.child({ component: 'database' }), traced });
    database = opened;
    const db = opened.db;
    await migrateSchema(db, namespacedSchema(config, 'platform'), platformMigrations);
    await transport.ensureTopics(paysagaTopicSpecs(config));

    if (options.services.includes('payment') && !config.payment.stripeApiBase) {
      // Embedded mode brings its own Stripe: the simulator on a free loopback port, webhooks pointed back at us once we listen.
      const { startGatewaySimulator } = await import('../gateway/simulator/index.ts');
      simulator = await startGatewaySimulator({ port: 0, webhookUrl: null, webhookSecret: secrets.stripeWebhookSecret });
    }
    const gatewayUrl = config.payment.stripeApiBase ?? simulator?.url ?? '';

    for (const name of options.services) services.set(name, await createService(name, { db, transport, config, secrets, gatewayUrl, metrics, schema: (schema) => namespacedSchema(config, schema), logger }));

    const server = await createHttpServer({ title: 'paysaga', metrics: metrics.http, logger: logger.child({ component: 'http' }), traced });
    http = server;
    useBearerAuth(server, { secret: secrets.authSecret, previousSecret: config.secrets.authSecretPrevious ?? null });
    healthRoutes(server, {
      services: options.services, started: () => ready, transport, metrics, outboxReadyMaxAgeMs: config.observability.outboxReadyMaxAgeMs, logger: logger.child({ component: 'health' }),
      database: async () => { await sql`select 1`.execute(db); return true; },
    });
    metricsRoute(server, metrics);
    for (const service of services.values()) await service.routes(server);
    const deadLetters = new Map(options.services.map((name) => [name, new DeadLetterStore(db, namespacedSchema(config, SERVICE_SCHEMAS[name]))]));
    // Every POST honours Idempotency-Key, the dead-letter actions too (keys in the platform schema).
    await server.register(async (scope) => {
      useIdempotencyKeys(scope, { db, schema: namespacedSchema(config, 'platform') });
      await deadLetterRoutes(scope, deadLetters);
    });
    await operatorRoutes(server, { db, metrics, logger: logger.child({ component: 'dashboard' }), serviceSchemas: new Map(options.services.map((name) => [name, namespacedSchema(config, SERVICE_SCHEMAS[name])])) });
    const url = await server.listen({ port: config.httpPort, host: config.httpHost });
    simulator?.setWebhookEndpoint(`${url}/webhooks/stripe`, secrets.stripeWebhookSecret);
    for (const [name, service] of services) {
      startedServices.add(name);
      await service.start();
    }
    // The platform schema keeps Idempotency-Key answers of the dead-letter actions: they age out like a service's.
    platformRetention = new RetentionWorker({ db, schema: namespacedSchema(config, 'platform'), rules: platformRetentionRules(config.retention), policy: config.retention, logger: logger.child({ component: 'retention', schema: 'platform' }) });
    platformRetention.start();
    await options.afterStart?.({ services });
    ready = true;
    logger.info({ url, transport: transport.kind, database: opened.kind, tracing: traced }, 'paysaga started');
    return { url, gatewayUrl, databaseKind: opened.kind, server, db };
  })();

  try {
    const { url, gatewayUrl, databaseKind, server, db } = await starting;
    return { url, gatewayUrl, transportKind: transport.kind, databaseKind, services: options.services, authSecret: secrets.authSecret, embedded: isEmbedded(config), transport, metrics, http: server, db, stop };
  } catch (error) {
    logger.error({ err: error }, 'paysaga failed to start; stopping what it opened');
    await stop();
    throw error;
  }
}

/** Where embedded mode keeps its data, for the banner and the README: in memory unless a data directory is given. */
export function describeStorage(config: PlatformConfig): string {
  if (config.databaseUrl === 'pglite://memory') return 'in memory: everything is lost on exit (`paysaga start --data-dir <dir>` keeps it)';
  if (config.databaseUrl.startsWith('pglite://')) return `kept in ${config.databaseUrl.slice('pglite://'.length)}`;
  return 'PostgreSQL (DATABASE_URL)';
}

export async function describeStart(started: StartedPlatform, config: PlatformConfig): Promise<string> {
  const lines = [
    `paysaga is up: ${started.services.join(', ')} (${started.transportKind} transport, ${started.databaseKind} database, ${paysagaTopicSpecs(config).length} topics)`,
    `  API:        ${started.url}   (OpenAPI: ${started.url}/openapi.json)`,
    `  gateway:    ${started.gatewayUrl || '(not used by these services)'}`,
    `  data:       ${describeStorage(config)}`,
    `  readiness:  curl ${started.url}/health/ready   (metrics: ${started.url}/metrics)`,
    `  dashboard:  ${started.url}/dashboard/   (paste an admin token)`,
  ];
  if (!started.embedded) {
    // A deployment signs with its own AUTH_SECRET: no tokens on a console that a log collector keeps.
    lines.push('  tokens:     npx paysaga token --role customer --subject cust-1   (signed with AUTH_SECRET)');
    return [...lines, 'SIGTERM or Ctrl-C stops it gracefully.'].join('\n');
  }
  const customer = await issueToken(started.authSecret, { subject: 'cust-1', role: 'customer' });
  const admin = await issueToken(started.authSecret, { subject: 'admin-1', role: 'admin' });
  // The walkthrough calls checkout, payments, orders and sagas on this one URL: only true when this process serves them all.
  const walkthrough = (['saga', 'payment', 'order', 'inventory'] as const).every((name) => started.services.includes(name));
  return [
    ...lines,
    '  auth:       development secret (embedded mode only); set AUTH_SECRET for anything but a laptop',
    `  tokens (24 h): customer cust-1  export CUSTOMER=${customer}`,
    `                 admin admin-1    export ADMIN=${admin}`,
    ...(walkthrough ? checkoutWalkthrough(started.url) : []),
    'Ctrl-C stops it gracefully.',
  ].join('\n');
}
