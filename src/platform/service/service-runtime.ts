import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { migrateSchema, type SchemaMigration } from '../database/migrations.ts';
import { DEFAULT_RETENTION, platformRetentionRules, RetentionWorker, type RetentionPolicy, type RetentionRule } from '../database/retention.ts';
import { useIdempotencyKeys } from '../http/idempotency-keys.ts';
import { MessageConsumer } from '../messaging/message-consumer.ts';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import type { RetryPolicy } from '../messaging/retry-policy.ts';
import type { Transport } from '../messaging/transport.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import { OutboxRelay } from '../outbox/outbox-relay.ts';
import { outboxTransaction, type OutboxTransaction } from '../outbox/outbox-transaction.ts';

export interface ServiceRuntimeOptions {
  db: Kysely<unknown>;
  transport: Transport;
  /** The service's own schema. */
  schema: string;
  /** Its consumer group. */
  groupId: string;
  migrations: Record<string, SchemaMigration>;
  retry?: Partial<RetryPolicy>;
  relayPollIntervalMs?: number;
  /** The process's metrics: the runtime reports its consumer, relay, outbox and dead letters there. */
  metrics?: PlatformMetrics;
  /** The service's logger (the wiring binds `service`); its relay, consumer and workers log through children of it. */
  logger?: Logger;
  /**
   * start() only subscribes the consumer: the relay and the background workers do nothing until the driver
   * calls them (publishBatch, fireDue, …) — the deterministic simulation owns every step.
   */
  stepDriven?: boolean;
  /** How long the bookkeeping (outbox, inbox, idempotency keys) is kept; DEFAULT_RETENTION by default. */
  retention?: RetentionPolicy;
}

/** What every service factory takes; each service adds its own settings. */
export interface ServiceOptions {
  db: Kysely<unknown>;
  transport: Transport;
  /** The service's own schema (each service has a default). */
  schema?: string;
  /** Its consumer group (defaults to the service's name). */
  groupId?: string;
  retry?: Partial<RetryPolicy>;
  relayPollIntervalMs?: number;
  metrics?: PlatformMetrics;
  logger?: Logger;
  stepDriven?: boolean;
  retention?: RetentionPolicy;
}

/** What every running service offers the wiring. */
export interface RunningService {
  readonly relay: OutboxRelay;
  readonly consumer: MessageConsumer;
  /** A retention pass over the service's schema with the rules it runs with (tests and tools run it once). */
  readonly retention: () => RetentionWorker;
  /** Mounts the HTTP API (with Idempotency-Key handling) on a server that already authenticates bearer tokens. */
  routes(http: FastifyInstance): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A background part of a service (reconciler, deadline poller, dispatcher) started after the consumer and stopped after it. */
export interface BackgroundWorker {
  start(): void;
  stop(): Promise<void>;
}

/**
 * What every service stands on, wired once: its migrated schema, the outbox
 * relay, the consumer (inbox, retries, dead letters) and outbox transactions.
 * Services add their handlers and routes; start and stop keep one order:
 * relay, consumer, workers up; consumer, workers, relay down (so what the
 * last handlers queued is still published).
 */
export class ServiceRuntime {
  readonly db: Kysely<unknown>;
  readonly schema: string;
  readonly relay: OutboxRelay;
  readonly consumer: MessageConsumer;
  readonly transaction: OutboxTransaction;
  readonly logger: Logger;
  readonly #workers: BackgroundWorker[] = [];
  readonly #stepDriven: boolean;
  readonly #retention: RetentionPolicy;
  readonly #retentionRules: RetentionRule[];
  #retentionWorker: RetentionWorker | null = null;

  private constructor(options: ServiceRuntimeOptions) {
    const { db, transport, schema, metrics } = options;
    this.#stepDriven = options.stepDriven === true;
    this.db = db;
    this.schema = schema;
    this.logger = options.logger ?? fallbackLogger();
    const retention = options.retention ?? DEFAULT_RETENTION;
    this.relay = new OutboxRelay({
      db, schema, transport, keepPublished: retention.outboxKeepMs > 0, logger: this.logger.child({ component: 'outbox-relay', schema }), ...(options.relayPollIntervalMs ? { pollIntervalMs: options.relayPollIntervalMs } : {}),
      ...(metrics ? { onPublished: metrics.messages.recordPublished } : {}),
    });
    this.consumer = new MessageConsumer({
      groupId: options.groupId, schema, db, transport, logger: this.logger.child({ component: 'consumer' }), onOutboxWrite: () => this.relay.wake(), ...(options.retry ? { retry: options.retry } : {}),
      ...(metrics ? { observer: metrics.messages.consumerObserver(options.groupId) } : {}),
    });
    if (metrics) {
      const consumer = this.consumer;
      metrics.watchConsumer({ group: options.groupId, transport, topics: () => consumer.topics, running: () => consumer.subscription !== null });
      metrics.watchSchema(db, schema);
    }
    this.transaction = outboxTransaction(db, schema, () => this.relay.wake());
    this.#retention = retention;
    this.#retentionRules = platformRetentionRules(this.#retention);
  }

  static async create(options: ServiceRuntimeOptions): Promise<ServiceRuntime> {
    await migrateSchema(options.db, options.schema, options.migrations);
    return new ServiceRuntime(options);
  }

  /** Wakes the relay (for writers that queue outbox rows themselves). */
  readonly wakeRelay = (): void => { this.relay.wake(); };

  addWorker(worker: BackgroundWorker): void {
    this.#workers.push(worker);
  }

  /** A table of the service's own that is bookkeeping, not domain (webhook receipts): kept `keepMs`, then pruned. */
  retain(rule: RetentionRule): void {
    this.#retentionRules.push(rule);
  }

  /** The pass that keeps the schema's bookkeeping bounded (database/retention.ts); its rules are the platform's and those given to retain(). */
  readonly retention = (): RetentionWorker => new RetentionWorker({
    db: this.db, schema: this.schema, rules: [...this.#retentionRules], policy: this.#retention, logger: this.logger.child({ component: 'retention' }),
  });

  /** Mounts a service's routes in their own encapsulated scope, with Idempotency-Key on every POST. */
  async mount(http: FastifyInstance, routes: (scope: FastifyInstance) => Promise<void>): Promise<void> {
    await http.register(async (scope) => {
      useIdempotencyKeys(scope, { db: this.db, schema: this.schema });
      await routes(scope);
    });
  }

  async start(): Promise<void> {
    if (!this.#stepDriven) this.relay.start();
    await this.consumer.start();
    if (this.#stepDriven) return;
    // Made at start, so it has every rule the service added while it was wired.
    this.#retentionWorker ??= this.retention();
    for (const worker of [...this.#workers, this.#retentionWorker]) worker.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    if (this.#stepDriven) return; // a driven process "crashes": whatever is unpublished stays for the next one
    for (const worker of this.#workers) await worker.stop();
    await this.#retentionWorker?.stop();
    await this.relay.stop();
  }
}
