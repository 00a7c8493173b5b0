import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.ts';
import { paysagaTopicSpecs } from '../platform/messaging/topic-specs.ts';
import { atUrl, startDistributed, startEmbedded, type StartedTarget } from './bench/bench-targets.ts';
import { renderReport } from './bench/bench-report.ts';
import { runBench, type BenchPlan } from './bench/bench-run.ts';
import type { MeasuredLoad } from './bench/measure-system.ts';
import { progressPrinter } from './bench/progress-bar.ts';
import { startRestatePeer } from './bench/peer/restate-peer.ts';
import { startSeedStyle } from './bench/baseline/seed-style-target.ts';

interface BenchFlags {
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

export function registerBenchCommand(program: Command): void {
  program.command('bench')
    .description('load paysaga through its HTTP API (checkout → confirm → CONFIRMED) and report throughput, latency, errors, CPU, memory, PostgreSQL and Kafka work per saga, beside the machine\'s ceilings (docs/performance.md)')
    .option('--target <target>', 'embedded (paysaga start in a child process, in-process transport and PGlite) or distributed (paysaga up on KAFKA_BROKERS and DATABASE_URL)', 'embedded')
    .option('--url <url>', 'measure a deployment already running at this URL instead (its processes are found by the port)')
    .option('--auth-secret <secret>', 'with --url: the deployment\'s AUTH_SECRET (default: AUTH_SECRET of this shell)')
    .option('--namespace <namespace>', 'with --url: the deployment\'s PAYSAGA_NAMESPACE (which topics are its)')
    .option('--sagas <n>', 'measured sagas (default 1000)')
    .option('--duration <seconds>', 'measure for this long instead of a count')
    .option('--concurrency <n>', 'closed loop: sagas in flight', '50')
    .option('--rate <perSecond>', 'open loop: sagas started per second, whatever is in flight')
    .option('--warmup <n>', 'warm-up sagas, left out of the figures', '50')
    .option('--warmup-seconds <seconds>', 'warm-up time, left out of the figures')
    .option('--declines <share>', 'share of checkouts paid with a declined card (0..1)', '0')
    .option('--cancels <share>', 'share cancelled by the customer after confirmation (0..1)', '0')
    .option('--full-refunds <share>', 'share refunded in full by an admin (0..1)', '0')
    .option('--partial-refunds <share>', 'share refunded in part by an admin (0..1)', '0')
    .option('--saga-timeout <seconds>', 'a saga not done by then counts as a timeout', '60')
    .option('--compare', 'also run the seed-style baseline and the Restate peer, same load, one after the other')
    .option('--no-ceilings', 'skip the PostgreSQL and Kafka ceilings')
    .option('--pg-clients <n>', 'PostgreSQL ceiling: connections', '8')
    .option('--pg-seconds <seconds>', 'PostgreSQL ceiling: how long', '5')
    .option('--kafka-records <n>', 'Kafka ceiling: records produced then consumed', '50000')
    .option('--database-url <url>', 'PostgreSQL for the ceiling, distributed mode and the comparisons (default DATABASE_URL)')
    .option('--kafka-brokers <list>', 'Kafka for the ceiling, distributed mode and the seed-style baseline (default KAFKA_BROKERS)')
    .option('--out <file>', 'write the full result as JSON')
    .option('--quiet', 'no progress bar')
    .action(async (flags: BenchFlags) => {
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
    });
}
