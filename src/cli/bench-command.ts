import type { Command } from 'commander';
import type { BenchFlags } from './bench/bench-action.ts';

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
      const { runBenchCommand } = await import('./bench/bench-action.ts');
      await runBenchCommand(flags);
    });
}
