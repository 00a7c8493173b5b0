import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../../platform/config.ts';
import { paysagaTopicSpecs } from '../../platform/messaging/topic-specs.ts';
import { atUrl, startDistributed, startEmbedded, type StartedTarget } from './bench-targets.ts';
import { renderReport } from './bench-report.ts';
import { runBench, type BenchPlan } from './bench-run.ts';
import type { MeasuredLoad } from './measure-system.ts';
import { progressPrinter } from './progress-bar.ts';
import { startRestatePeer } from './peer/restate-peer.ts';
import { startSeedStyle } from './baseline/seed-style-target.ts';

export interface BenchFlags {
  target: string;
  url?: string;
  authSecret?: string;
  namespace?: string;
  sagas?: string;
  duration?: string;
  concurrency: string;
  rate?: string;
  warmup: string;
  warmupSeconds?: string;
  declines: string;
  cancels: string;
  fullRefunds: string;
  partialRefunds: string;
  sagaTimeout: string;
  compare?: boolean;
  ceilings: boolean;
  pgClients: string;
  pgSeconds: string;
  kafkaRecords: string;
  databaseUrl?: string;
  kafkaBrokers?: string;
  out?: string;
  quiet?: boolean;
}

function number(name: string, value: string, min = 0): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) throw new Error(`--${name} must be a number ≥ ${min} (got ${value})`);
  return parsed;
}

/** The load the flags describe, and a line that says it. */
function loadOf(flags: BenchFlags): { load: MeasuredLoad; description: string } {
  const rate = flags.rate === undefined ? null : number('rate', flags.rate, 0.001);
  const concurrency = Math.floor(number('concurrency', flags.concurrency, 1));
  const seconds = flags.duration === undefined ? null : number('duration', flags.duration, 0.1);
  const sagas = seconds === null ? Math.floor(number('sagas', flags.sagas ?? '1000', 1)) : null;
  const warmupSeconds = flags.warmupSeconds === undefined ? 0 : number('warmup-seconds', flags.warmupSeconds);
  const warmup = Math.floor(number('warmup', flags.warmup));
  const mix = { decline: number('declines', flags.declines), cancel: number('cancels', flags.cancels), fullRefund: number('full-refunds', flags.fullRefunds), partialRefund: number('partial-refunds', flags.partialRefunds) };
  const load: MeasuredLoad = {
    load: rate === null ? { kind: 'closed', concurrency } : { kind: 'open', ratePerSecond: rate },
    stop: sagas === null ? { durationMs: (seconds ?? 0) * 1_000 } : { sagas },
    warmup: { sagas: warmup, durationMs: warmupSeconds * 1_000 }, mix, sagaTimeoutMs: number('saga-timeout', flags.sagaTimeout, 1) * 1_000,
  };
  const shape = rate === null ? `closed loop, concurrency ${concurrency}` : `open loop, ${rate} sagas/s offered`;
  const length = sagas === null ? `${seconds} s` : `${sagas} sagas`;
  const shares = Object.entries(mix).filter(([, share]) => share > 0).map(([kind, share]) => `${Math.round(share * 100)} % ${kind}`);
  return { load, description: `${shape}, ${length} after ${warmupSeconds ? `${warmupSeconds} s and ` : ''}${warmup} warm-up sagas${shares.length ? `, ${shares.join(', ')}` : ''}` };
}

/** What `paysaga bench` does (loaded only when it runs: bench-command.ts stays light for --help and serve). */
export async function runBenchCommand(flags: BenchFlags): Promise<void> {
  const config = loadConfig();
  const databaseUrl = flags.databaseUrl ?? (config.databaseUrl.startsWith('postgres') ? config.databaseUrl : null);
  const kafkaBrokers = flags.kafkaBrokers ? flags.kafkaBrokers.split(',').map((broker) => broker.trim()).filter(Boolean) : config.kafkaBrokers;
  const { load, description } = loadOf(flags);
  let paysaga: () => Promise<StartedTarget>;
  if (flags.url) {
    const authSecret = flags.authSecret ?? config.secrets.authSecret;
    if (!authSecret) throw new Error('--url needs the deployment\'s AUTH_SECRET (--auth-secret or AUTH_SECRET)');
    const url = flags.url;
    paysaga = async () => atUrl({ url, authSecret, databaseUrl, namespace: flags.namespace ?? config.namespace, kafka: kafkaBrokers.length > 0, topicNames: paysagaTopicSpecs(config).map((spec) => spec.name) });
  } else if (flags.target === 'distributed') {
    if (!databaseUrl || kafkaBrokers.length === 0) throw new Error('--target distributed needs PostgreSQL and Kafka: DATABASE_URL and KAFKA_BROKERS (or --database-url, --kafka-brokers)');
    paysaga = () => startDistributed({ databaseUrl, kafkaBrokers });
  } else if (flags.target === 'embedded') {
    paysaga = startEmbedded;
  } else {
    throw new Error(`--target is embedded or distributed (got ${flags.target})`);
  }
  const comparisons: BenchPlan['comparisons'] = [];
  if (flags.compare) {
    if (!databaseUrl) throw new Error('--compare needs PostgreSQL (DATABASE_URL or --database-url): both comparisons keep their state there');
    comparisons.push({ system: 'seed-style', start: () => startSeedStyle({ databaseUrl, kafkaBrokers }) });
    comparisons.push({ system: 'restate', start: () => startRestatePeer({ databaseUrl }) });
  }
  const abort = new AbortController();
  const onSignal = (): void => { console.error('\npaysaga bench: stopping (the sagas in flight end first)'); abort.abort(); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const printers: { done(): void }[] = [];
  const result = await runBench({
    paysaga, comparisons, load, description, databaseUrl, kafkaBrokers, signal: abort.signal,
    ceilings: flags.ceilings ? { pgClients: Math.floor(number('pg-clients', flags.pgClients, 1)), pgSeconds: number('pg-seconds', flags.pgSeconds, 0.1), kafkaRecords: Math.floor(number('kafka-records', flags.kafkaRecords, 1)) } : null,
    onProgress: flags.quiet ? undefined : (system) => {
      printers.forEach((printer) => printer.done());
      const printer = progressPrinter(system, process.stderr);
      printers.push(printer);
      return (progress) => printer.update(progress);
    },
  }).finally(() => { process.removeListener('SIGINT', onSignal); process.removeListener('SIGTERM', onSignal); printers.forEach((printer) => printer.done()); });
  console.log(renderReport(result));
  if (flags.out) {
    await writeFile(flags.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nresult: ${flags.out}`);
  }
}
