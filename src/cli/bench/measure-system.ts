import { issueToken } from '../../platform/http/auth.ts';
import { runLoad, type LoadOptions, type LoadSummary } from '../load/load-driver.ts';
import type { StartedTarget } from './bench-targets.ts';
import { infrastructureGroups, ProcessSampler, type ProcessUsage } from './process-sampler.ts';
import { nameOf } from './proc-stats.ts';
import { activityPerSaga, committedTransactions, LagWatcher, recordsWritten, tableActivity, type SchemaActivity } from './system-counters.ts';

/** One system's figures in a bench run. */
export interface SystemResult {
  system: StartedTarget['system'];
  short: string;
  shape: string;
  summary: LoadSummary;
  /** Every saga the run started, warm-up included (what the counters below are divided by). */
  sagasStarted: number;
  /** CPU and peak RSS of each of the system's processes. */
  processes: ProcessUsage[];
  /** The machine's PostgreSQL and Kafka processes (shared with whatever else runs on the machine). */
  infrastructure: ProcessUsage[];
  /** The system's processes' CPU per saga started, ms. */
  cpuMsPerSaga: number | null;
  /** Sum of paysaga_consumer_lag at its highest (scraped every second), or null when not read. */
  peakConsumerLag: number | null;
  /** xact_commit delta of the system's database / sagas started; null when it has no PostgreSQL of its own here. */
  pgTransactionsPerSaga: number | null;
  /**
   * Where the database work went, per schema (a paysaga service's schema is its own): rows written and tables scanned
   * per saga started (pg_stat_user_tables deltas); null when it has no PostgreSQL of its own here.
   */
  pgWorkPerSagaBySchema: Record<string, SchemaActivity> | null;
  /** End-offset delta over the system's topics / sagas started; null when it uses no Kafka. */
  kafkaRecordsPerSaga: number | null;
  clientBacklog: number;
}

/** PostgreSQL's idle stats flush interval (10 s) plus a margin for a loaded machine. */
const STATS_FLUSH_WAIT_MS = 12_000;

export type MeasuredLoad = Omit<LoadOptions, 'baseUrl' | 'auth' | 'signal'>;

/** Drives `target` with the load driver while sampling its processes, PostgreSQL, Kafka and /metrics. */
export async function measureSystem(target: StartedTarget, load: MeasuredLoad, context: { kafkaBrokers: string[]; signal?: AbortSignal }): Promise<SystemResult> {
  const pids = target.pids();
  const sampler = new ProcessSampler([
    ...pids.map((pid) => ({ name: `${nameOf(pid)} (pid ${pid})`, pids: () => [pid] })),
    ...infrastructureGroups(),
  ]);
  const kafka = target.topics && context.kafkaBrokers.length > 0 ? { brokers: context.kafkaBrokers, topics: target.topics } : null;
  const commitsBefore = target.databaseUrl ? await committedTransactions(target.databaseUrl) : null;
  const tablesBefore = target.databaseUrl ? await tableActivity(target.databaseUrl) : null;
  const recordsBefore = kafka ? await recordsWritten(kafka.brokers, kafka.topics) : null;
  const lag = target.metricsUrls.length > 0 ? new LagWatcher(target.metricsUrls, await issueToken(target.authSecret, { subject: 'bench-metrics', role: 'admin' })) : null;
  sampler.start();
  lag?.start();
  let usage: ProcessUsage[] = [];
  let lagSeen: Awaited<ReturnType<LagWatcher['stop']>> | undefined;
  const finish = async (): Promise<void> => { usage = sampler.stop(); lagSeen = await lag?.stop(); };
  let result;
  try {
    result = await runLoad({ ...load, baseUrl: target.url, auth: { secret: target.authSecret }, ...(context.signal ? { signal: context.signal } : {}) });
  } finally {
    await finish();
  }
  // A backend flushes its counts to pg_stat_database at most once a second; one that goes idle sooner after its
  // last flush waits PGSTAT_IDLE_INTERVAL (10 s) before flushing. Reading earlier undercounts the last transactions.
  if (target.databaseUrl) await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_WAIT_MS));
  const commitsAfter = target.databaseUrl ? await committedTransactions(target.databaseUrl) : null;
  const tablesAfter = target.databaseUrl ? await tableActivity(target.databaseUrl) : null;
  const recordsAfter = kafka ? await recordsWritten(kafka.brokers, kafka.topics) : null;
  const started = result.records.length;
  const own = usage.slice(0, pids.length);
  const cpu = own.reduce((sum, process) => sum + process.cpuSeconds, 0);
  const perSaga = (before: number | null, after: number | null): number | null => (before === null || after === null || started === 0 ? null : Math.round(((after - before) / started) * 10) / 10);
  return {
    system: target.system, short: target.short, shape: target.shape, summary: result.summary, sagasStarted: started,
    processes: own, infrastructure: usage.slice(pids.length),
    cpuMsPerSaga: started > 0 && pids.length > 0 ? Math.round((cpu * 1_000) / started) : null,
    peakConsumerLag: lagSeen?.peak ?? null,
    pgTransactionsPerSaga: perSaga(commitsBefore, commitsAfter),
    pgWorkPerSagaBySchema: tablesBefore && tablesAfter ? activityPerSaga(tablesBefore, tablesAfter, started) : null,
    kafkaRecordsPerSaga: perSaga(recordsBefore, recordsAfter),
    clientBacklog: result.clientBacklog,
  };
}
