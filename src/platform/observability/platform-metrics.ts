import type { Kysely } from 'kysely';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PartitionLag } from '../messaging/transport.ts';
import { GatewayMetrics } from './gateway-metrics.ts';
import { HttpMetrics } from './http-metrics.ts';
import { registerLagGauges, type WatchedConsumer } from './lag-gauges.ts';
import { MessageMetrics } from './message-metrics.ts';
import { readOutbox, readPendingDeadLetters, registerOutboxGauges, type OutboxState, type WatchedSchema } from './outbox-gauges.ts';
import { readActiveSagas, registerSagaGauges, type MoneyAtRisk, type WatchedSagas } from './saga-gauges.ts';
import { SagaMetrics } from './saga-metrics.ts';
import { reportToStderr, ScrapeSource, type CollectionErrorReporter } from './scrape-source.ts';

const NON_COUNTER_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface PlatformMetricsOptions {
  /** Told when a scrape-time read fails (the scrape goes on without it); stderr by default. */
  onCollectError?: CollectionErrorReporter;
  /** A scrape-time read slower than this is dropped from that scrape. Default 3 s (Prometheus' default scrape timeout is 10 s). */
  collectTimeoutMs?: number;
  /** Node process metrics (CPU, memory, event loop, GC). Default true. */
  processMetrics?: boolean;
}

/**
 * One process's metrics, on a registry of its own (not prom-client's global
 * one, so several platforms can run in one test process). Counters are
 * incremented by the hooks (consumer, relay, saga engine, gateway, HTTP);
 * gauges that need a query are read on scrape, each read bounded in time and
 * shared by the gauges that use it, and a read that fails is reported and
 * left out instead of failing the scrape.
 */
export class PlatformMetrics {
  readonly registry = new Registry();
  readonly messages: MessageMetrics;
  readonly sagas: SagaMetrics;
  readonly http: HttpMetrics;
  readonly gateway: GatewayMetrics;
  readonly #consumers: { consumer: WatchedConsumer; source: ScrapeSource<PartitionLag[]> }[] = [];
  readonly #schemas: WatchedSchema[] = [];
  readonly #sagaSchemas: WatchedSagas[] = [];
  readonly #moneyAtRisk: ScrapeSource<MoneyAtRisk[]>[] = [];
  readonly #onError: CollectionErrorReporter;
  readonly #timeoutMs: number;
  readonly #sourceUp: Gauge<'source'>;
  readonly #collectErrors: Counter<'source'>;
  readonly #sources: ScrapeSource<unknown>[] = [];

  constructor(options: PlatformMetricsOptions = {}) {
    this.#onError = options.onCollectError ?? reportToStderr;
    this.#timeoutMs = options.collectTimeoutMs ?? 3_000;
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters, which `promtool check metrics` rejects; their per-type siblings (nodejs_active_handles{type}, …) sum to the same.
      for (const name of NON_COUNTER_TOTALS) this.registry.removeSingleMetric(name);
    }
    const registers = [this.registry];
    // Gauges are collected concurrently: these two wait for this scrape's reads (shared, so run once) to report their outcome.
    const sources = this.#sources;
    const settled = async (): Promise<void> => { await Promise.all(sources.map((source) => source.get())); };
    this.#sourceUp = new Gauge({
      name: 'paysaga_metrics_source_up', help: 'Whether the last scrape-time read of a source (lag, outbox, dead letters, sagas) succeeded', labelNames: ['source'], registers, collect: settled,
    });
    this.#collectErrors = new Counter({ name: 'paysaga_metrics_collect_errors_total', help: 'Scrape-time reads that failed or timed out, by source', labelNames: ['source'], registers, collect: settled });
    this.messages = new MessageMetrics(this.registry);
    this.sagas = new SagaMetrics(this.registry);
    this.http = new HttpMetrics(this.registry);
    this.gateway = new GatewayMetrics(this.registry);
    registerLagGauges(this.registry, () => this.#consumers);
    registerOutboxGauges(this.registry, () => this.#schemas);
    registerSagaGauges(this.registry, () => this.#sagaSchemas, () => this.#moneyAtRisk);
  }

  #source<T>(name: string, read: () => Promise<T>): ScrapeSource<T> {
    const source = new ScrapeSource(read, {
      name, timeoutMs: this.#timeoutMs, maxAgeMs: 1_000, onError: this.#onError,
      onOutcome: (ok) => {
        this.#sourceUp.set({ source: name }, ok ? 1 : 0);
        if (!ok) this.#collectErrors.inc({ source: name });
      },
    });
    this.#sources.push(source);
    return source;
  }

  /** A consumer group of this process: its lag and delayed-retry backlog, and whether it runs. */
  watchConsumer(consumer: WatchedConsumer): void {
    this.#consumers.push({ consumer, source: this.#source(`lag:${consumer.group}`, () => consumer.transport.lag(consumer.group, consumer.topics())) });
  }

  /** A service schema: its outbox and dead letters. */
  watchSchema(db: Kysely<unknown>, schema: string): void {
    this.#schemas.push({
      schema,
      outbox: this.#source(`outbox:${schema}`, () => readOutbox(db, schema)),
      deadLetters: this.#source(`dead-letters:${schema}`, () => readPendingDeadLetters(db, schema)),
    });
  }

  /** A schema holding saga instances: active and stuck sagas. */
  watchSagas(db: Kysely<unknown>, schema: string, stuckAfterMs: number): void {
    this.#sagaSchemas.push({ schema, active: this.#source(`sagas:${schema}`, () => readActiveSagas(db, schema, stuckAfterMs)) });
  }

  /** The saga service's read of the money held in checkouts that have not ended. */
  watchMoneyAtRisk(name: string, read: () => Promise<MoneyAtRisk[]>): void {
    this.#moneyAtRisk.push(this.#source(`money-at-risk:${name}`, read));
  }

  /** The consumer groups watched, and whether each runs (readiness). */
  consumers(): { group: string; running: boolean }[] {
    return this.#consumers.map(({ consumer }) => ({ group: consumer.group, running: consumer.running() }));
  }

  /** Each watched outbox's state, or null where it could not be read (readiness). */
  outboxes(): Promise<{ schema: string; state: OutboxState | null }[]> {
    return Promise.all(this.#schemas.map(async (watched) => ({ schema: watched.schema, state: await watched.outbox.get() })));
  }

  readonly contentType = this.registry.contentType;

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
