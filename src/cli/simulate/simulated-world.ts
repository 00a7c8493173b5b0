import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { startGatewaySimulator, stripeSignatureHeader, type GatewayFaults, type GatewaySimulator } from '../../gateway/simulator/index.ts';
import { openDatabase, type Database } from '../../platform/database/database.ts';
import { issueToken, useBearerAuth } from '../../platform/http/auth.ts';
import { createHttpServer } from '../../platform/http/http-server.ts';
import { paysagaTopicSpecs } from '../../platform/messaging/topic-specs.ts';
import { createLogger, type Logger } from '../../platform/observability/logger.ts';
import type { RunningService } from '../../platform/service/service-runtime.ts';
import { SimulatedTransport } from '../../platform/simulation/simulated-transport.ts';
import type { SeededRandom } from '../../platform/simulation/seeded-random.ts';
import type { VirtualClock } from '../../platform/utils/clock.ts';
import { createDeliveryService, type DeliveryService } from '../../services/delivery/delivery-service.ts';
import { createInventoryService, type InventoryService } from '../../services/inventory/inventory-service.ts';
import type { MenuItem } from '../../services/inventory/menu.ts';
import type { NotificationChannel, OutgoingNotification } from '../../services/notification/channels/notification-channel.ts';
import { createNotificationService, type NotificationService } from '../../services/notification/notification-service.ts';
import { createOrderService, type OrderService } from '../../services/order/order-service.ts';
import { createPaymentService, type PaymentService } from '../../services/payment/payment-service.ts';
import { createSagaService, type SagaService } from '../../services/saga/saga-service.ts';
import { SERVICE_SCHEMAS, type ServiceName } from '../compose.ts';

export const SIMULATED_SECRETS = { auth: 'simulation-auth-secret-not-for-production', webhook: 'whsec_simulation', stripeKey: 'sk_test_simulation' } as const;

/** The simulation's menu: little stock, so some checkouts run out and compensate. */
export const SIMULATED_MENU: readonly MenuItem[] = Object.freeze([
  { id: 'sim-pizza', restaurantId: 'resto-sim', name: 'Pizza', unitPrice: { amount: 1_200, currency: 'USD' }, stock: 40 },
  { id: 'sim-pasta', restaurantId: 'resto-sim', name: 'Pasta', unitPrice: { amount: 950, currency: 'USD' }, stock: 25 },
  { id: 'sim-cake', restaurantId: 'resto-sim', name: 'Cake', unitPrice: { amount: 450, currency: 'USD' }, stock: 15 },
]);

/** Settings of the simulated deployment (small deadlines: the virtual clock jumps past them). */
export const SIMULATED_TIMING = { paymentDeadlineMs: 60_000, commandTimeoutMs: 5_000, partitions: 3 } as const;

/** The notices the notification channel accepted, per order (the oracle compares them with what happened). */
export class RecordingChannel implements NotificationChannel {
  readonly name = 'simulation';
  readonly sent: OutgoingNotification[] = [];
  async send(notification: OutgoingNotification): Promise<void> {
    this.sent.push(notification);
  }
}

export interface ServiceSet {
  saga: SagaService;
  payment: PaymentService;
  order: OrderService;
  inventory: InventoryService;
  delivery: DeliveryService;
  notification: NotificationService;
}

export interface PendingWebhook {
  id: string;
  type: string;
  payload: string;
}

/**
 * One paysaga deployment inside the simulation: every service on one PGlite
 * database and the simulated transport, the gateway simulator feeding its
 * webhooks to a queue the driver delivers from, and one HTTP app (driven with
 * inject, no socket) for what customers and admins do. A "process restart"
 * rebuilds every service runtime on the same database and transport.
 */
export class SimulatedWorld {
  readonly clock: VirtualClock;
  readonly transport: SimulatedTransport;
  readonly database: Database;
  readonly gateway: GatewaySimulator;
  /** Gateway events not delivered yet, oldest first (the driver picks which goes next). */
  readonly webhooks: PendingWebhook[];
  readonly channel = new RecordingChannel();
  readonly logger: Logger;
  services!: ServiceSet;
  http!: FastifyInstance;
  #tokens = new Map<string, string>();

  private constructor(clock: VirtualClock, transport: SimulatedTransport, database: Database, gateway: GatewaySimulator, webhooks: PendingWebhook[], logger: Logger) {
    this.clock = clock;
    this.webhooks = webhooks;
    this.transport = transport;
    this.database = database;
    this.gateway = gateway;
    this.logger = logger;
  }

  /**
   * Builds a deployment on `database` — emptied first (every service table truncated, sequences restarted), so
   * each seed starts from the same books whether the database is new or served a run before (opening and
   * migrating PGlite costs seconds; emptying it, milliseconds).
   */
  static async create(options: { clock: VirtualClock; random: SeededRandom; database: Database; logger?: Logger }): Promise<SimulatedWorld> {
    const logger = options.logger ?? silentLogger();
    const transport = new SimulatedTransport(options.clock);
    await transport.ensureTopics(paysagaTopicSpecs({ partitions: SIMULATED_TIMING.partitions, replicationFactor: 1, minInsyncReplicas: null }));
    await emptyServiceSchemas(options.database.db);
    const gatewayRandom = options.random.fork();
    const webhooks: PendingWebhook[] = [];
    const gateway = await startGatewaySimulator({
      port: 0, webhookSecret: SIMULATED_SECRETS.webhook, random: () => gatewayRandom.next(),
      // A timed-out response is held briefly, then its socket dies: the payment service sees a lost connection.
      faults: { timeoutHoldMs: 5 },
      webhookSink: (event) => { webhooks.push(event); },
    });
    const world = new SimulatedWorld(options.clock, transport, options.database, gateway, webhooks, logger);
    await world.#build();
    return world;
  }

  get db(): Kysely<unknown> {
    return this.database.db;
  }

  schemas(): Record<ServiceName, string> {
    return { ...SERVICE_SCHEMAS };
  }

  async #build(): Promise<void> {
    const { db, transport } = this;
    const base = { db, transport, stepDriven: true, retry: { inPlaceAttempts: 2, inPlaceDelayMs: 0 } } as const;
    const log = (service: string): Logger => this.logger.child({ service });
    const saga = await createSagaService({
      ...base, schema: SERVICE_SCHEMAS.saga, logger: log('saga'), paymentDeadlineMs: SIMULATED_TIMING.paymentDeadlineMs,
      commandTimeoutMs: SIMULATED_TIMING.commandTimeoutMs, checkoutWaitMs: 0,
    });
    const payment = await createPaymentService({
      ...base, schema: SERVICE_SCHEMAS.payment, logger: log('payment'), webhookSecret: SIMULATED_SECRETS.webhook,
      // No backoff waits, no breaker (it reads the wall clock): the run's outcome must not depend on real time. The SDK's
      // own retry of a reset connection (a timeout fault) happens at once instead of after 0.5–1 s of wall clock.
      stripe: { apiKey: SIMULATED_SECRETS.stripeKey, apiBase: this.gateway.url, resilience: { timeoutMs: 5_000, initialDelayMs: 0, maxDelayMs: 0, breakerThreshold: 1_000_000 }, resetRetryDelayMs: 0 },
      reconciler: { staleAfterMs: 0 },
    });
    const order = await createOrderService({ ...base, schema: SERVICE_SCHEMAS.order, logger: log('order') });
    const inventory = await createInventoryService({ ...base, schema: SERVICE_SCHEMAS.inventory, logger: log('inventory'), menu: SIMULATED_MENU });
    const delivery = await createDeliveryService({ ...base, schema: SERVICE_SCHEMAS.delivery, logger: log('delivery') });
    const notification = await createNotificationService({ ...base, schema: SERVICE_SCHEMAS.notification, logger: log('notification'), channel: this.channel });
    this.services = { saga, payment, order, inventory, delivery, notification };
    const http = await createHttpServer({ title: 'paysaga-simulation', logger: this.logger.child({ component: 'http' }) });
    useBearerAuth(http, { secret: SIMULATED_SECRETS.auth });
    for (const service of this.#running()) await service.routes(http);
    await http.ready();
    this.http = http;
    for (const service of this.#running()) await service.start();
  }

  #running(): RunningService[] {
    const { saga, payment, order, inventory, delivery, notification } = this.services;
    return [saga, payment, order, inventory, delivery, notification];
  }

  /** The services whose outbox holds unpublished rows, in a fixed order, and how many sagas are not at their end (one query). */
  async probe(): Promise<{ backlog: ServiceName[]; sagasInFlight: number }> {
    const names = Object.keys(SERVICE_SCHEMAS) as ServiceName[];
    const probes = names.map((name) => sql<{ name: string }>`select ${name}::text as name, 0 as n where exists (select 1 from ${sql.table(`${SERVICE_SCHEMAS[name]}.outbox`)} where published_at is null)`);
    const inFlight = sql`select 'sagas'::text as name, count(*)::int as n from ${sql.table(`${SERVICE_SCHEMAS.saga}.saga_instances`)} where status not in ('COMPLETED', 'COMPENSATED', 'FAILED')`;
    const rows = await sql<{ name: string; n: number }>`${sql.join([...probes, inFlight], sql` union all `)}`.execute(this.db);
    const found = new Set(rows.rows.map((row) => row.name));
    return { backlog: names.filter((name) => found.has(name)), sagasInFlight: rows.rows.find((row) => row.name === 'sagas')?.n ?? 0 };
  }

  /** Whether a checkout's payment has its gateway intent (so the customer can confirm it). */
  async paymentReady(paymentId: string): Promise<boolean> {
    const rows = await sql<{ ready: boolean }>`select true as ready from ${sql.table(`${SERVICE_SCHEMAS.payment}.payments`)}
      where id = ${paymentId} and stripe_payment_intent_id is not null`.execute(this.db);
    return rows.rows.length > 0;
  }

  /** A process restart: every runtime stops where it is (nothing flushed) and a new one starts on the same database. */
  async restart(): Promise<void> {
    for (const service of this.#running()) await service.stop();
    await this.http.close();
    await this.#build();
  }

  async token(role: 'customer' | 'admin', subject: string): Promise<string> {
    const key = `${role}:${subject}`;
    let token = this.#tokens.get(key);
    if (!token) this.#tokens.set(key, token = await issueToken(SIMULATED_SECRETS.auth, { role, subject }));
    return token;
  }

  /** An API call as `role`/`subject` would make it (in process, no socket). */
  async call(method: 'GET' | 'POST', url: string, as: { role: 'customer' | 'admin'; subject: string }, body?: unknown, idempotencyKey?: string): Promise<LightMyRequestResponse> {
    return this.http.inject({
      method, url, headers: { authorization: `Bearer ${await this.token(as.role, as.subject)}`, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
  }

  /** Delivers one gateway event to the payment service's webhook route, signed as Stripe signs it. */
  async deliverWebhook(event: PendingWebhook): Promise<number> {
    // The signature's timestamp is the wall clock's: the SDK checks it against its own, and it decides nothing here.
    const signature = stripeSignatureHeader(event.payload, SIMULATED_SECRETS.webhook, Math.floor(Date.now() / 1_000));
    const response = await this.http.inject({ method: 'POST', url: '/webhooks/stripe', headers: { 'stripe-signature': signature, 'content-type': 'application/json' }, payload: event.payload });
    return response.statusCode;
  }

  setGatewayFaults(faults: Partial<GatewayFaults>): void {
    this.gateway.setFaults(faults);
  }

  /** Stops the services and the gateway; the database stays open for the next seed (its owner closes it). */
  async close(): Promise<void> {
    for (const service of this.#running()) await service.stop();
    await this.http.close();
    await this.gateway.close();
  }
}

function silentLogger(): Logger {
  return createLogger({ level: 'silent', destination: { write: () => true } });
}

/** The database every seed of a process runs on: PGlite in memory. */
export function openSimulationDatabase(): Promise<Database> {
  return openDatabase({ url: 'pglite://memory', maxConnections: 1, logger: silentLogger(), traced: false });
}

/** Truncates every table of every service schema (migrations stay applied), restarting their sequences. */
async function emptyServiceSchemas(db: Kysely<unknown>): Promise<void> {
  const schemas = Object.values(SERVICE_SCHEMAS);
  const tables = await sql<{ name: string }>`select quote_ident(table_schema) || '.' || quote_ident(table_name) as name from information_schema.tables
    where table_schema = any(${schemas}) and table_type = 'BASE TABLE' and table_name <> 'schema_migrations' order by 1`.execute(db);
  if (tables.rows.length === 0) return;
  await sql`truncate ${sql.raw(tables.rows.map((row) => row.name).join(', '))} restart identity cascade`.execute(db);
}
