import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { DEFAULT_RETENTION, type RetentionPolicy } from './database/retention-policy.ts';

/**
 * Every environment variable paysaga reads, in one typed schema: validated
 * once at start (the error names the variable), documented from here
 * (`npm run docs:config` writes docs/configuration.md and .env.example), and
 * the only module in src that reads the environment
 * (test/platform/config/config.test.ts enforces it). Each property's
 * `description` is its documentation; `group` orders the doc.
 */
const positive = (description: string, fallback: number, group: string) => Type.Integer({ minimum: 1, default: fallback, description, group });
const httpUrl = (description: string, group: string) => Type.Optional(Type.String({ minLength: 1, description, group, httpUrl: true }));

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const EnvironmentSchema = Type.Object({
  KAFKA_BROKERS: Type.Optional(Type.String({
    pattern: '^\\s*[^\\s,]+(\\s*,\\s*[^\\s,]+)*\\s*$', group: 'deployment', example: '127.0.0.1:9092',
    description: 'Comma-separated Kafka bootstrap brokers (host:port). Unset: the in-process transport (embedded mode).',
  })),
  DATABASE_URL: Type.String({
    pattern: '^(postgres|postgresql|pglite)://', default: 'pglite://memory', group: 'deployment', example: 'postgres://paysaga@127.0.0.1:5432/paysaga',
    description: '`postgres://…` for PostgreSQL; `pglite://memory` (in memory, lost on exit) or `pglite://<dir>` (kept in that directory; `paysaga start --data-dir <dir>`) for embedded PGlite.',
  }),
  DATABASE_MAX_CONNECTIONS: positive('This process\'s PostgreSQL pool size; every process of a deployment counts against the server\'s `max_connections`.', 10, 'deployment'),
  PAYSAGA_NAMESPACE: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9_-]{1,48}$', group: 'deployment',
    description: 'Prefixes topics, consumer groups and schemas, so several deployments share one Kafka and one PostgreSQL.',
  })),
  KAFKA_PARTITIONS: positive('Partitions of every topic `paysaga` creates.', 3, 'deployment'),
  KAFKA_REPLICATION_FACTOR: positive('Replication factor of every topic `paysaga` creates.', 1, 'deployment'),
  KAFKA_MIN_INSYNC_REPLICAS: Type.Optional(Type.Integer({ minimum: 1, group: 'deployment', description: '`min.insync.replicas` of every topic `paysaga` creates (unset: the broker\'s default).' })),
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3000, group: 'http', description: 'HTTP port of this process (0: any free port).' }),
  HTTP_HOST: Type.String({ minLength: 1, default: '127.0.0.1', group: 'http', description: 'Address the HTTP server binds; loopback by default, `0.0.0.0` to serve beyond this machine.' }),
  AUTH_SECRET: Type.Optional(Type.String({
    minLength: 32, group: 'secrets', secret: true,
    description: 'HS256 key (at least 32 characters) that signs and verifies bearer tokens. Required outside embedded mode; embedded mode uses a development secret.',
  })),
  AUTH_SECRET_PREVIOUS: Type.Optional(Type.String({
    minLength: 32, group: 'secrets', secret: true,
    description: 'During a rotation of AUTH_SECRET: the previous secret. Tokens it signed are still accepted (nothing is signed with it); unset it once they have expired.',
  })),
  STRIPE_API_KEY: Type.Optional(Type.String({
    minLength: 1, group: 'secrets', secret: true,
    description: 'Stripe secret key the payment service calls Stripe (or the simulator) with. Required outside embedded mode wherever the payment service runs.',
  })),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({
    minLength: 1, group: 'secrets', secret: true,
    description: 'Signing secret (`whsec_…`) the payment service verifies Stripe webhooks with. Required outside embedded mode wherever the payment service runs.',
  })),
  STRIPE_API_BASE: httpUrl('Stripe API the payment service calls (`https://api.stripe.com` for Stripe itself). Unset: an in-process gateway simulator.', 'payment'),
  PAYMENT_RECONCILE_AFTER_MS: positive('A payment or refund unsettled this long is re-read from the gateway.', 30_000, 'payment'),
  PAYMENT_RECONCILE_INTERVAL_MS: positive('How often the reconciler looks for unsettled payments.', 5_000, 'payment'),
  CHECKOUT_PAYMENT_DEADLINE_MS: positive('A checkout unpaid this long is cancelled (intent cancelled, stock released).', 15 * 60_000, 'saga'),
  CHECKOUT_MAX_IN_FLIGHT: positive('Admission control: checkout sagas not yet ended (running or compensating, those waiting for their customer to pay included) beyond which `POST /checkout` answers 503 with Retry-After instead of slowing every saga down. Size it as sustainable sagas/s × acceptable latency (s), plus the checkouts customers are still paying.', 1_000, 'saga'),
  SAGA_COMMAND_TIMEOUT_MS: positive('A saga command unanswered this long is sent again.', 60_000, 'saga'),
  SAGA_COMMAND_MAX_RESENDS: positive('Resends of one saga command after it was dead-lettered or went unanswered; then the saga gives up on the step (compensates, or ends FAILED).', 3, 'saga'),
  SEED_MENU: Type.Boolean({ default: true, group: 'inventory', description: 'Seed the demo menu (Pasta Place) into an empty catalogue; `false` starts empty (products come through `POST /products`).' }),
  NOTIFICATION_WEBHOOK_URL: httpUrl('POST every notification to this http(s) URL (takes precedence over the log).', 'notification'),
  NOTIFICATION_LOG_FILE: Type.Optional(Type.String({ minLength: 1, group: 'notification', description: 'Append a JSON line per notification to this file (unset: the process log).' })),
  INBOX_RETENTION_MS: Type.Optional(Type.Integer({
    minimum: 60_000, group: 'retention',
    description: 'How long a consumed event\'s inbox row is kept, i.e. how long a redelivered event is still recognised and dropped. Keep it above the Kafka topics\' retention (a consumer group reset to the earliest offset replays that much) and above OUTBOX_RETENTION_MS. Unset: 8 days with Kafka (the broker keeps records 7 days by default), 10 minutes with the in-process transport (it drops records every group has read after 60 s).',
  })),
  OUTBOX_RETENTION_MS: Type.Optional(Type.Integer({
    minimum: 0, group: 'retention',
    description: 'How long a published outbox row is kept (`paysaga audit` pairs them with the consumers\' inboxes) before it is deleted; 0 deletes each row in the statement that publishes it. Unset: 0 with `DATABASE_URL=pglite://memory` (nothing can audit a database that lives in its process, and it would hold every event of the last hour, about 30 KB a saga), otherwise 1 hour.',
  })),
  RETENTION_INTERVAL_MS: positive('Pause between two retention passes of a service: outbox, inbox, Idempotency-Key answers and webhook receipts past their age are deleted; on PGlite, which has neither autovacuum nor a checkpointer, tables with many dead rows are vacuumed and the WAL checkpointed.', 60_000, 'retention'),
  SHUTDOWN_TIMEOUT_MS: positive('Upper bound of a graceful stop (SIGTERM/SIGINT): in-flight work still running then is abandoned uncommitted, and redelivered after a restart.', 10_000, 'process'),
  LOG_LEVEL: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { default: 'info', group: 'process', description: 'Least severe log level written.' }),
  SAGA_STUCK_AFTER_MS: positive('A saga without progress this long counts as stuck in the metrics (keep it above the checkout payment window, which a saga spends waiting).', 30 * 60_000, 'observability'),
  OUTBOX_READY_MAX_AGE_MS: positive('An unpublished outbox row older than this makes the process not ready.', 60_000, 'observability'),
  OTEL_TRACES_EXPORTER: Type.Optional(Type.String({ minLength: 1, group: 'observability', example: 'otlp', description: 'OpenTelemetry trace exporter (`otlp`, `console`, `none`); naming one other than `none` turns tracing on. The SDK reads the other `OTEL_*` variables itself.' })),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl('OTLP collector base URL; setting it turns tracing on.', 'observability'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl('OTLP traces URL; setting it turns tracing on.', 'observability'),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, group: 'observability', description: 'Service name on every span (default `paysaga-<services>`).' })),
  OTEL_SDK_DISABLED: Type.Boolean({ default: false, group: 'observability', description: '`true` keeps tracing off whatever else is set.' }),
});

export type Environment = Static<typeof EnvironmentSchema>;
export type LogLevel = typeof LOG_LEVELS[number];

/** A configuration value the schema refuses; the message names the variable. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Runtime configuration, from the environment (distributed mode) with embedded-mode defaults. */
export interface PlatformConfig {
  /** Kafka brokers; empty means the in-process transport (embedded mode). */
  kafkaBrokers: string[];
  /** postgres://… or pglite://memory | pglite://<dir>. */
  databaseUrl: string;
  databaseMaxConnections: number;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number | null;
  httpPort: number;
  httpHost: string;
  namespace: string | null;
  /** As set; `deploymentSecrets` decides what a start may use. */
  secrets: { authSecret: string | null; stripeApiKey: string | null; stripeWebhookSecret: string | null; authSecretPrevious?: string | null };
  payment: { stripeApiBase: string | null; reconcileAfterMs: number; reconcileIntervalMs: number };
  saga: { paymentDeadlineMs: number; commandTimeoutMs: number; commandMaxResends: number; checkoutMaxInFlight: number };
  inventory: { seedMenu: boolean };
  notification: { webhookUrl: string | null; logFile: string | null };
  /** How long the platform's bookkeeping is kept (database/retention.ts). */
  retention: RetentionPolicy;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
  observability: { sagaStuckAfterMs: number; outboxReadyMaxAgeMs: number; tracing: boolean; serviceName: string | null };
}

/** Strict string → value for the schema's type: "3.5" is no integer and "yes" no boolean (TypeBox's Convert would truncate and guess). */
function fromString(schema: TSchema, raw: string): unknown {
  const type = (schema as { type?: string }).type;
  if (type === 'integer') return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

function problem(name: string, schema: TSchema, message: string, raw: string | undefined): string {
  const options = (schema as { anyOf?: { const: string }[] }).anyOf;
  const rule = options ? `must be one of ${options.map((option) => option.const).join('|')}` : message;
  return `${name} ${rule}, got ${'secret' in schema ? '(hidden)' : JSON.stringify(raw)}`;
}

/** TypeBox has no URL check of its own (formats are opt-in): an http(s) URL, without its trailing slash. */
function checkHttpUrl(name: keyof Environment, value: string | undefined): string | null {
  if (value === undefined) return null;
  let parsed: URL | null = null;
  try {
    parsed = new URL(value);
  } catch {
    // not logged: reported just below as a ConfigurationError naming the variable
  }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') throw new ConfigurationError(`${name} must be an http(s) URL such as http://127.0.0.1:12111, got ${JSON.stringify(value)}`);
  return value.replace(/\/$/, '');
}

/** The environment checked against the schema, with defaults; throws a ConfigurationError naming the first bad variable. */
export function parseEnvironment(env: Readonly<Record<string, string | undefined>>): Environment {
  const raws: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(EnvironmentSchema.properties) as [string, TSchema][]) {
    const raw = env[name]?.trim();
    // An empty value is an unset one (`PORT=` in a unit file, an empty .env line).
    if (raw === undefined || raw === '') continue;
    raws[name] = raw;
    values[name] = fromString(schema, raw);
  }
  const value = Value.Default(EnvironmentSchema, values);
  for (const error of Value.Errors(EnvironmentSchema, value)) {
    const name = error.instancePath.replace(/^\//, '').split('/')[0] ?? '';
    throw new ConfigurationError(problem(name, EnvironmentSchema.properties[name as keyof Environment], error.message, raws[name]));
  }
  return value as Environment;
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): PlatformConfig {
  const parsed = parseEnvironment(env);
  return {
    kafkaBrokers: (parsed.KAFKA_BROKERS ?? '').split(',').map((broker) => broker.trim()).filter(Boolean),
    databaseUrl: parsed.DATABASE_URL,
    databaseMaxConnections: parsed.DATABASE_MAX_CONNECTIONS,
    partitions: parsed.KAFKA_PARTITIONS,
    replicationFactor: parsed.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: parsed.KAFKA_MIN_INSYNC_REPLICAS ?? null,
    httpPort: parsed.PORT,
    httpHost: parsed.HTTP_HOST,
    namespace: parsed.PAYSAGA_NAMESPACE ?? null,
    secrets: { authSecret: parsed.AUTH_SECRET ?? null, stripeApiKey: parsed.STRIPE_API_KEY ?? null, stripeWebhookSecret: parsed.STRIPE_WEBHOOK_SECRET ?? null, authSecretPrevious: parsed.AUTH_SECRET_PREVIOUS ?? null },
    payment: {
      stripeApiBase: checkHttpUrl('STRIPE_API_BASE', parsed.STRIPE_API_BASE),
      reconcileAfterMs: parsed.PAYMENT_RECONCILE_AFTER_MS,
      reconcileIntervalMs: parsed.PAYMENT_RECONCILE_INTERVAL_MS,
    },
    saga: { paymentDeadlineMs: parsed.CHECKOUT_PAYMENT_DEADLINE_MS, commandTimeoutMs: parsed.SAGA_COMMAND_TIMEOUT_MS, commandMaxResends: parsed.SAGA_COMMAND_MAX_RESENDS, checkoutMaxInFlight: parsed.CHECKOUT_MAX_IN_FLIGHT },
    inventory: { seedMenu: parsed.SEED_MENU },
    notification: { webhookUrl: checkHttpUrl('NOTIFICATION_WEBHOOK_URL', parsed.NOTIFICATION_WEBHOOK_URL), logFile: parsed.NOTIFICATION_LOG_FILE ?? null },
    retention: retentionPolicy(parsed),
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    logLevel: parsed.LOG_LEVEL,
    observability: { sagaStuckAfterMs: parsed.SAGA_STUCK_AFTER_MS, outboxReadyMaxAgeMs: parsed.OUTBOX_READY_MAX_AGE_MS, tracing: tracingWanted(parsed), serviceName: parsed.OTEL_SERVICE_NAME ?? null },
  };
}

/**
 * The inbox's window follows the transport: Kafka can hand out a record again for days (its retention, an offset
 * reset), the in-process log only until every group has read it and a minute has passed. Published outbox rows are
 * kept for the audit, except in an in-memory database, which nothing else can read. PGlite is vacuumed and
 * checkpointed by us.
 */
function retentionPolicy(parsed: Environment): RetentionPolicy {
  const kafka = (parsed.KAFKA_BROKERS ?? '').trim() !== '';
  return {
    ...DEFAULT_RETENTION,
    inboxKeepMs: parsed.INBOX_RETENTION_MS ?? (kafka ? DEFAULT_RETENTION.inboxKeepMs : 10 * 60_000),
    outboxKeepMs: parsed.OUTBOX_RETENTION_MS ?? (parsed.DATABASE_URL === 'pglite://memory' ? 0 : DEFAULT_RETENTION.outboxKeepMs),
    intervalMs: parsed.RETENTION_INTERVAL_MS,
    pglite: parsed.DATABASE_URL.startsWith('pglite:'),
  };
}

/** Tracing is off unless an exporter other than `none` or an OTLP endpoint is named, and never with OTEL_SDK_DISABLED=true. */
export function tracingWanted(parsed: Pick<Environment, 'OTEL_TRACES_EXPORTER' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SDK_DISABLED'>): boolean {
  const exporter = parsed.OTEL_TRACES_EXPORTER;
  const named = (exporter !== undefined && exporter !== 'none') || parsed.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || parsed.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
  return named && !parsed.OTEL_SDK_DISABLED && exporter !== 'none';
}

/** Embedded mode: the in-process transport and PGlite — one process, nothing shared, development secrets allowed. */
export function isEmbedded(config: Pick<PlatformConfig, 'kafkaBrokers' | 'databaseUrl'>): boolean {
  return config.kafkaBrokers.length === 0 && config.databaseUrl.startsWith('pglite:');
}

/** The well-known values embedded mode runs with. They are in the README, so anywhere else they are no secret at all. */
export const DEVELOPMENT_SECRETS = {
  AUTH_SECRET: 'paysaga-development-secret-change-me-0123456789',
  STRIPE_API_KEY: 'sk_test_paysaga_local',
  STRIPE_WEBHOOK_SECRET: 'whsec_paysaga_local',
} as const;

export interface DeploymentSecrets {
  authSecret: string;
  stripeApiKey: string;
  stripeWebhookSecret: string;
  /** True when tokens are signed with the development secret (embedded mode only). */
  developmentAuth: boolean;
}

/**
 * The secrets a start may use. Embedded mode falls back to the development
 * values; anywhere else (KAFKA_BROKERS or a postgres DATABASE_URL) a missing
 * or development value refuses the start, naming the variable — a webhook
 * signed with the documented secret would otherwise mark an unpaid payment
 * paid. The Stripe ones are required only where the payment service runs:
 * no other service has any use for them.
 */
export function deploymentSecrets(config: PlatformConfig, options: { payment: boolean }): DeploymentSecrets {
  const given = { AUTH_SECRET: config.secrets.authSecret, STRIPE_API_KEY: config.secrets.stripeApiKey, STRIPE_WEBHOOK_SECRET: config.secrets.stripeWebhookSecret };
  const pick = (name: keyof typeof DEVELOPMENT_SECRETS, needed: boolean): string => {
    const value = given[name];
    if (isEmbedded(config) || !needed) return value ?? DEVELOPMENT_SECRETS[name];
    if (value === null) throw new ConfigurationError(`${name} is required outside embedded mode (KAFKA_BROKERS or a postgres DATABASE_URL is set)`);
    if (value === DEVELOPMENT_SECRETS[name]) throw new ConfigurationError(`${name} is the published development value; set a secret of your own outside embedded mode`);
    return value;
  };
  const secrets = { authSecret: pick('AUTH_SECRET', true), stripeApiKey: pick('STRIPE_API_KEY', options.payment), stripeWebhookSecret: pick('STRIPE_WEBHOOK_SECRET', options.payment) };
  return { ...secrets, developmentAuth: secrets.authSecret === DEVELOPMENT_SECRETS.AUTH_SECRET };
}

/** The environment a child process of ours inherits (`paysaga up`), with some variables set or removed. */
export function childEnvironment(changes: Readonly<Record<string, string | null>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete env[name];
    else env[name] = value;
  }
  return env;
}
