import { cpus } from 'node:os';
import type { LoadProgress } from '../load/load-driver.ts';
import type { StartedTarget } from './bench-targets.ts';
import { kafkaCeiling, postgresCeiling, type KafkaCeiling, type PostgresCeiling } from './machine-ceilings.ts';
import { measureSystem, type MeasuredLoad, type SystemResult } from './measure-system.ts';

export interface BenchPlan {
  /** Starts paysaga as the run measures it (embedded, distributed, or a deployment at a URL). */
  paysaga: () => Promise<StartedTarget>;
  /** The comparisons, each started after the previous system stopped. */
  comparisons: { system: StartedTarget['system']; start: () => Promise<StartedTarget> }[];
  load: MeasuredLoad;
  description: string;
  databaseUrl: string | null;
  kafkaBrokers: string[];
  ceilings: { pgClients: number; pgSeconds: number; kafkaRecords: number } | null;
  onProgress?: (system: string) => ((progress: LoadProgress) => void) | undefined;
  signal?: AbortSignal;
}

export interface BenchResult {
  startedAt: string;
  endedAt: string;
  machine: { cpus: number; node: string; platform: string };
  load: { description: string; options: MeasuredLoad };
  ceilings: { postgres: PostgresCeiling | null; kafka: KafkaCeiling | null; skipped: { postgres?: string; kafka?: string } };
  systems: SystemResult[];
  /** A system's own rate beside the machine's: PostgreSQL commits/s and Kafka records/s it caused, over the ceiling. */
  ratios: { system: string; what: string; value: number; ofCeiling: number }[];
  /** Systems that could not be measured, and why. */
  failures: { system: string; reason: string }[];
}

/** Runs the plan: the machine's ceilings, then paysaga, then each comparison, one at a time on a quiet machine. */
export async function runBench(plan: BenchPlan): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const skipped: BenchResult['ceilings']['skipped'] = {};
  let postgres: PostgresCeiling | null = null;
  let kafka: KafkaCeiling | null = null;
  if (plan.ceilings) {
    if (plan.databaseUrl) postgres = await postgresCeiling(plan.databaseUrl, { clients: plan.ceilings.pgClients, seconds: plan.ceilings.pgSeconds });
    else skipped.postgres = 'no PostgreSQL URL (DATABASE_URL or --database-url)';
    if (plan.kafkaBrokers.length > 0) kafka = await kafkaCeiling(plan.kafkaBrokers, { records: plan.ceilings.kafkaRecords });
    else skipped.kafka = 'no Kafka brokers (KAFKA_BROKERS or --kafka-brokers)';
  } else {
    skipped.postgres = skipped.kafka = 'ceilings off (--no-ceilings)';
  }
  const systems: SystemResult[] = [];
  const failures: BenchResult['failures'] = [];
  for (const entry of [{ system: 'paysaga' as const, start: plan.paysaga }, ...plan.comparisons]) {
    if (plan.signal?.aborted) break;
    let target: StartedTarget | null = null;
    try {
      target = await entry.start();
      const onProgress = plan.onProgress?.(entry.system);
      systems.push(await measureSystem(target, { ...plan.load, ...(onProgress ? { onProgress } : {}) }, { kafkaBrokers: plan.kafkaBrokers, ...(plan.signal ? { signal: plan.signal } : {}) }));
    } catch (error) {
      // A comparison that cannot run here is reported with its reason; paysaga's own failure ends the bench.
      if (entry.system === 'paysaga') throw error;
      failures.push({ system: entry.system, reason: error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error) });
    } finally {
      await target?.stop();
    }
  }
  const ratios: BenchResult['ratios'] = [];
  for (const system of systems) {
    const rate = system.summary.completedPerSecond;
    if (postgres && system.pgTransactionsPerSaga !== null) {
      const value = rate * system.pgTransactionsPerSaga;
      ratios.push({ system: system.system, what: 'PostgreSQL commits/s', value, ofCeiling: value / postgres.commitsPerSecond });
    }
    if (kafka && system.kafkaRecordsPerSaga !== null) {
      const value = rate * system.kafkaRecordsPerSaga;
      ratios.push({ system: system.system, what: 'Kafka records/s', value, ofCeiling: value / kafka.producePerSecond });
    }
  }
  return {
    startedAt, endedAt: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version, platform: process.platform },
    load: { description: plan.description, options: plan.load }, ceilings: { postgres, kafka, skipped }, systems, ratios, failures,
  };
}
