import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { EVENT_TOPICS } from '../../contracts/catalogue.ts';
import { startGatewaySimulator, type GatewaySimulator } from '../../gateway/simulator/index.ts';
import { DeadLetterStore } from '../../platform/dead-letters/dead-letter-store.ts';
import { openDatabase, type Database } from '../../platform/database/database.ts';
import { createFrontDoor, fetchOpenApi, type OpenApiDocument } from '../../platform/http/front-door.ts';
import { namespacedSchema, openTransport } from '../../platform/messaging/open-transport.ts';
import type { Transport } from '../../platform/messaging/transport.ts';
import { sleep } from '../../platform/utils/sleep.ts';
import { auditBooks, auditSchemas, stripeGatewayRecords, type AuditReport } from '../audit/audit-books.ts';
import { SERVICE_NAMES, SERVICE_SCHEMAS, type ServiceName } from '../compose.ts';
import { runLoad, type SagaMix, type SagaRecord } from '../load/load-driver.ts';
import { ciFaultPlan, fullFaultPlan, type Fault, type FaultTargets, type FaultTiming } from './fault-plan.ts';
import { startKafkaCluster, type KafkaCluster } from './kafka-cluster.ts';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.ts';
import { busyPorts, ephemeralPortRange, overlapsEphemeral } from '../ports.ts';
import { ServiceInstance } from './service-fleet.ts';

export interface ChaosOptions {
  /** Sagas the load driver runs (at least; more if the fault plan outlasts them). */
  sagas: number;
  concurrency: number;
  kafkaNodes: 1 | 3;
  plan: 'full' | 'ci';
  /** Faults injected at the least (the plan is repeated while the load runs, then until this many). */
  minFaults: number;
  timing: FaultTiming;
  /** Quiet time between two faults. */
  pauseMs: number;
  /** Ports from here on: PostgreSQL, Kafka (+10…), gateway (+20), front door (+21), services (+30…), extra instances (+40…). */
  basePort: number;
  /** How long to wait after the load for every saga to end and every outbox to drain. */
  settleTimeoutMs: number;
  mix: SagaMix;
  log(line: string): void;
  /** Aborting stops the load and the faults; the run then cleans up everything it started. */
  signal?: AbortSignal;
  /** Aborting ends the load and the faults early (after the fault under way); the run still settles and audits what ran. */
  finish?: AbortSignal;
}

export interface ChaosResult {
  sagasRun: number;
  /** The load and faults were ended early (`finish`): fewer sagas or faults than asked. */
  endedEarly: boolean;
  faultsByKind: Record<string, number>;
  faultFailures: string[];
  outcomesByKind: Record<string, number>;
  poison: { published: number; deadLettered: number };
  settled: boolean;
  audit: AuditReport;
  durationMs: number;
  logDir: string;
}

const POISON_KEY_PREFIX = 'chaos-poison-';

const count = (map: Record<string, number>, key: string, by = 1): void => { map[key] = (map[key] ?? 0) + by; };

/** Still running sagas and unpublished outbox rows, over every service: zero of both is a quiet system. */
async function busyness(db: Kysely<unknown>, namespace: string): Promise<{ activeSagas: number; unpublished: number }> {
  const saga = sql.table(`${namespacedSchema({ namespace }, SERVICE_SCHEMAS.saga)}.saga_instances`);
  const active = await sql<{ n: string }>`select count(*) as n from ${saga} where status in ('RUNNING', 'COMPENSATING')`.execute(db);
  let unpublished = 0;
  for (const service of SERVICE_NAMES) {
    const outbox = sql.table(`${namespacedSchema({ namespace }, SERVICE_SCHEMAS[service])}.outbox`);
    const rows = await sql<{ n: string }>`select count(*) as n from ${outbox} where published_at is null`.execute(db);
    unpublished += Number(rows.rows[0]?.n ?? 0);
  }
  return { activeSagas: Number(active.rows[0]?.n ?? 0), unpublished };
}

/** The poison the fault suite sent is expected in dead letters: an operator's discard, with a note, accounts for each. */
async function discardPoison(db: Kysely<unknown>, namespace: string): Promise<number> {
  let discarded = 0;
  for (const service of SERVICE_NAMES) {
    const store = new DeadLetterStore(db, namespacedSchema({ namespace }, SERVICE_SCHEMAS[service]));
    for (const letter of await store.list({ status: 'pending', limit: 10_000 })) {
      if (!letter.key.startsWith(POISON_KEY_PREFIX)) continue;
      await store.discard(String(letter.id), 'poison record injected by paysaga chaos');
      discarded += 1;
    }
  }
  return discarded;
}

async function publishPoison(transport: Transport): Promise<number> {
  const records = EVENT_TOPICS.flatMap((topic) => [
    { topic, key: `${POISON_KEY_PREFIX}${randomBytes(4).toString('hex')}`, value: Buffer.from('{not json'), headers: {} },
    { topic, key: `${POISON_KEY_PREFIX}${randomBytes(4).toString('hex')}`, value: Buffer.from([0, 0xff, 0x00, 0x7b]), headers: {} },
  ]);
  await transport.publish(records);
  return records.length;
}

/** How many ports from --base-port a run may use (+0 … +45). */
const CHAOS_PORT_SPAN = 46;

/**
 * Refuses ports something holds, and warns when they lie in the ephemeral range: every one of them is bound again
 * after a kill -9 or a restart, and meanwhile any outgoing connection on the machine may take it.
 */
async function checkPorts(basePort: number, ports: readonly number[], log: (line: string) => void): Promise<void> {
  const range = ephemeralPortRange();
  if (overlapsEphemeral(basePort, CHAOS_PORT_SPAN, range)) {
    log(`chaos: warning: ports ${basePort}–${basePort + CHAOS_PORT_SPAN - 1} meet the ephemeral range ${range.low}–${range.high}; a port freed by a fault may be taken by an outgoing connection before its process starts again (a --base-port below ${range.low - CHAOS_PORT_SPAN} avoids it)`);
  }
  const busy = await busyPorts(ports);
  if (busy.length > 0) throw new Error(`ports in use: ${busy.join(', ')}; choose another --base-port`);
}

/**
 * One fault run: its own PostgreSQL and Kafka, every service as its own
 * process behind a front door, the gateway simulator in this process; the
 * load driver runs sagas while the faults are injected one after another;
 * then the system is left to settle and the auditor reads the books.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const began = performance.now();
  const log = (line: string): void => { options.log(line); };
  const logDir = mkdtempSync(join(tmpdir(), 'paysaga-chaos-logs-'));
  const namespace = `chaos${randomBytes(4).toString('hex')}`;
  const secrets = { auth: randomBytes(32).toString('hex'), apiKey: `sk_test_${randomBytes(16).toString('hex')}`, webhook: `whsec_${randomBytes(16).toString('hex')}` };
  const port = (offset: number): number => options.basePort + offset;
  const servicePort = (service: ServiceName, extra = false): number => port((extra ? 40 : 30) + SERVICE_NAMES.indexOf(service));
  let postgres: PrivatePostgres | null = null;
  let kafka: KafkaCluster | null = null;
  let simulator: GatewaySimulator | null = null;
  let database: Database | null = null;
  let poisonTransport: Transport | null = null;
  let frontDoor: Awaited<ReturnType<typeof createFrontDoor>>['server'] | null = null;
  const instances = new Map<ServiceName, ServiceInstance>();
  const extras = new Set<ServiceInstance>();
  try {
    log(`chaos: namespace ${namespace}, logs in ${logDir}`);
    await checkPorts(options.basePort, [port(0), ...Array.from({ length: 2 * options.kafkaNodes }, (_, index) => port(10 + index)), port(20), port(21), ...SERVICE_NAMES.flatMap((service) => [servicePort(service), servicePort(service, true)])], log);
    postgres = await startPrivatePostgres(port(0));
    log(`chaos: private PostgreSQL on ${postgres.port}`);
    kafka = await startKafkaCluster({ port: port(10), nodes: options.kafkaNodes });
    log(`chaos: private Kafka ${kafka.brokers.join(',')}`);
    simulator = await startGatewaySimulator({ port: port(20), webhookUrl: `http://127.0.0.1:${servicePort('payment')}/webhooks/stripe`, webhookSecret: secrets.webhook });
    const env = (service: ServiceName): Record<string, string | null> => ({
      KAFKA_BROKERS: (kafka?.brokers ?? []).join(','), DATABASE_URL: postgres?.url ?? '', PAYSAGA_NAMESPACE: namespace, AUTH_SECRET: secrets.auth,
      LOG_LEVEL: 'warn', NOTIFICATION_LOG_FILE: '/dev/null', DATABASE_MAX_CONNECTIONS: '6',
      // Abandoned checkouts (a confirm lost to a fault) time out and compensate within the run, not in 15 minutes.
      CHECKOUT_PAYMENT_DEADLINE_MS: '20000',
      ...(options.kafkaNodes === 3 ? { KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' } : { KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: null }),
      ...(service === 'payment'
        ? { STRIPE_API_BASE: simulator?.url ?? '', STRIPE_API_KEY: secrets.apiKey, STRIPE_WEBHOOK_SECRET: secrets.webhook }
        : { STRIPE_API_BASE: null, STRIPE_API_KEY: null, STRIPE_WEBHOOK_SECRET: null }),
    });
    // One at a time: each migrates its schema and creates the topics on first start.
    for (const service of SERVICE_NAMES) {
      const instance = new ServiceInstance(service, servicePort(service), service, env(service), logDir);
      instances.set(service, instance);
      await instance.start();
    }
    const upstreams = SERVICE_NAMES.map((name) => ({ name, url: instances.get(name)?.url ?? '' }));
    const documents = new Map<string, OpenApiDocument>();
    for (const upstream of upstreams) {
      const document = await fetchOpenApi(upstream);
      if (!document) throw new Error(`${upstream.name} served no OpenAPI document`);
      documents.set(upstream.name, document);
    }
    frontDoor = (await createFrontDoor({ upstreams, documents })).server;
    const baseUrl = await frontDoor.listen({ port: port(21), host: '127.0.0.1' });
    log(`chaos: ${SERVICE_NAMES.length} services up behind ${baseUrl}; gateway simulator ${simulator.url}`);
    database = await openDatabase({ url: postgres.url, maxConnections: 2 });
    poisonTransport = openTransport({ kafkaBrokers: kafka.brokers, namespace }, 'paysaga-chaos-poison');
    const poison = { published: 0, deadLettered: 0 };

    const targets: FaultTargets = {
      kill: async (service) => { await instances.get(service)?.kill(); },
      restart: async (service) => { await instances.get(service)?.start(); },
      extraInstance: (service) => {
        const extra = new ServiceInstance(service, servicePort(service, true), `${service}-2`, env(service), logDir);
        return {
          join: async () => { extras.add(extra); await extra.start(); },
          leave: async () => { await extra.stop(); extras.delete(extra); extra.close(); },
        };
      },
      kafkaNodes: options.kafkaNodes,
      stopKafkaNode: async (node) => { await kafka?.stopNode(node); },
      startKafkaNode: async (node) => { await kafka?.startNode(node); },
      restartPostgres: async () => { await postgres?.restart(); },
      setGatewayFaults: (faults) => { simulator?.setFaults(faults); },
      publishPoison: async () => {
        const published = poisonTransport ? await publishPoison(poisonTransport) : 0;
        poison.published += published;
        return published;
      },
      log,
    };

    const plan = (options.plan === 'full' ? fullFaultPlan : ciFaultPlan)(options.timing, options.kafkaNodes);
    const records: SagaRecord[] = [];
    const faultsByKind: Record<string, number> = {};
    const faultFailures: string[] = [];
    let injected = 0;
    let loadDone = false;
    // What ends the load and the faults: an abort, or a finish (then the run still settles and audits).
    const ending = options.finish && options.signal ? AbortSignal.any([options.signal, options.finish]) : options.finish ?? options.signal;
    const faults = (async () => {
      await sleep(options.pauseMs);
      // Once through the plan, then again while the load runs, and until minFaults.
      for (let index = 0; !ending?.aborted && (index < plan.length || (!loadDone && injected < 10_000) || injected < options.minFaults); index += 1) {
        const fault = plan[index % plan.length] as Fault;
        log(`chaos: fault ${injected + 1}: ${fault.kind} (${fault.detail})`);
        try {
          await fault.inject(targets);
        } catch (error) {
          faultFailures.push(`${fault.kind} (${fault.detail}): ${error instanceof Error ? error.message : String(error)}`);
          log(`chaos: fault ${fault.kind} failed: ${error instanceof Error ? error.message : String(error)}; bringing everything back`);
          // Every broker node and every process back, whatever the fault left down (start-node of a running node is refused,
          // harmlessly); the nodes all at once: a lone node of a quorum that needs two gives up.
          const cluster = kafka;
          if (cluster) await Promise.all(Array.from({ length: options.kafkaNodes }, (_, index) => cluster.startNode(index + 1).catch((again: unknown) => { log(`chaos: start-node ${index + 1}: ${String(again)}`); })));
          for (const instance of instances.values()) if (!instance.running) await instance.start().catch((again: unknown) => { faultFailures.push(`restart ${instance.label}: ${String(again)}`); });
        }
        injected += 1;
        count(faultsByKind, fault.kind);
        await sleep(options.pauseMs);
        if (index + 1 >= plan.length && loadDone && injected >= options.minFaults) break;
      }
    })();
    const load = (async () => {
      // Batches until the target is reached and the fault plan has run out.
      let failedBatches = 0;
      while (!ending?.aborted && (records.length < options.sagas || injected < Math.max(plan.length, options.minFaults))) {
        const batch = Math.max(options.sagas - records.length, options.concurrency * 4);
        const result = await runLoad({
          baseUrl, auth: { secret: secrets.auth }, load: { kind: 'closed', concurrency: options.concurrency }, stop: { sagas: batch }, mix: options.mix,
          sagaTimeoutMs: 90_000, ...(ending ? { signal: ending } : {}), requestTimeoutMs: 15_000, poll: { initialMs: 100, maxMs: 1_000 },
          onProgress: (progress) => { log(`chaos: load ${records.length + progress.done} sagas done, ${progress.inFlight} in flight`); }, progressEveryMs: 15_000,
        }).catch(async (error: unknown) => {
          // A batch starts by adding its product: a fault may have the inventory away just then.
          if (++failedBatches > 30) throw error;
          log(`chaos: a load batch could not start (${error instanceof Error ? error.message : String(error)}); again in 2 s`);
          await sleep(2_000);
          return null;
        });
        if (!result) continue;
        records.push(...result.records);
        const samples = Object.values(result.summary.errorSamples).flat().slice(0, 2);
        log(`chaos: batch of ${result.records.length}: ${JSON.stringify(result.summary.outcomes)}${samples.length > 0 ? ` e.g. ${samples.join(' | ').slice(0, 300)}` : ''}`);
        // A batch that nothing got through (a service down): wait for the system rather than spin.
        if (result.summary.completed === 0) await sleep(2_000, ending);
      }
      loadDone = true;
    })();
    await Promise.all([load, faults]);
    if (options.signal?.aborted) throw new Error('chaos run aborted');
    simulator.setFaults({ errorRate: 0, timeoutRate: 0, latencyMs: 0, latencyJitterMs: 0, webhookDuplicateRate: 0, webhookOutOfOrder: false, webhookDelayMs: 0 });
    for (const instance of instances.values()) if (!instance.running) await instance.start();

    log(`chaos: load done (${records.length} sagas, ${injected} faults); waiting for every saga to end and every outbox to drain`);
    const settleDeadline = Date.now() + options.settleTimeoutMs;
    let settled = false;
    while (Date.now() < settleDeadline) {
      const state = await busyness(database.db, namespace);
      if (state.activeSagas === 0 && state.unpublished === 0) { settled = true; break; }
      await sleep(2_000);
    }
    // Replies and notices still on their way after the last saga ended.
    await sleep(3_000);
    poison.deadLettered = await discardPoison(database.db, namespace);
    const audit = await auditBooks(database.db, { schemas: auditSchemas(namespace), gateway: stripeGatewayRecords({ apiKey: secrets.apiKey, apiBase: simulator.url }) });
    const outcomesByKind: Record<string, number> = {};
    for (const record of records) count(outcomesByKind, `${record.kind} → ${record.outcome}`);
    return { sagasRun: records.length, endedEarly: options.finish?.aborted === true, faultsByKind, faultFailures, outcomesByKind, poison, settled, audit, durationMs: Math.round(performance.now() - began), logDir };
  } finally {
    await frontDoor?.close().catch((error: unknown) => { log(`chaos: closing the front door failed: ${String(error)}`); });
    for (const extra of extras) await extra.stop();
    for (const instance of instances.values()) { await instance.stop(); instance.close(); }
    await poisonTransport?.close().catch((error: unknown) => { log(`chaos: closing the poison producer failed: ${String(error)}`); });
    await database?.close();
    await simulator?.close();
    await kafka?.destroy();
    await postgres?.destroy();
  }
}
