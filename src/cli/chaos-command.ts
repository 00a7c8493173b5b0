import { InvalidArgumentError, type Command } from 'commander';

const positive = (name: string) => (value: string): number => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0, got ${value}`);
  return parsed;
};

interface ChaosCommandOptions {
  sagas: number;
  concurrency: number;
  brokers: number;
  plan: string;
  minFaults: number;
  basePort: number;
  downMs: number;
  windowMs: number;
  pauseMs: number;
  settleMs: number;
  json?: boolean;
}

/** `paysaga chaos`: the fault suite (docs/reliability.md). Exit 1 on any violation or a system that did not settle. */
export function registerChaosCommand(program: Command): void {
  program.command('chaos')
    .description('fault suite: distributed mode on a private Kafka and PostgreSQL under load, faults injected, then the auditor (docs/reliability.md)')
    .option('--sagas <n>', 'sagas the load driver runs (at least)', positive('--sagas'), 200)
    .option('--concurrency <n>', 'sagas in flight', positive('--concurrency'), 8)
    .option('--brokers <n>', 'Kafka nodes: 1, or 3 (adds the one-node-down fault)', positive('--brokers'), 3)
    .option('--plan <plan>', 'full (every fault) or ci (one of each family)', 'full')
    .option('--min-faults <n>', 'faults injected at the least (the plan repeats)', positive('--min-faults'), 0)
    // Below Linux's ephemeral range (32768–60999 by default): a port freed by kill -9 stays free for the restart.
    .option('--base-port <port>', 'first of the ports this run uses (+0 … +45), best below the ephemeral range', positive('--base-port'), 27_100)
    .option('--down-ms <ms>', 'how long a killed process or stopped broker stays down', positive('--down-ms'), 3_000)
    .option('--window-ms <ms>', 'how long a gateway fault or an extra instance lasts', positive('--window-ms'), 8_000)
    .option('--pause-ms <ms>', 'quiet time between faults', positive('--pause-ms'), 4_000)
    .option('--settle-ms <ms>', 'how long to wait, after the load, for every saga to end', positive('--settle-ms'), 180_000)
    .option('--json', 'print the result as JSON')
    .action(async (options: ChaosCommandOptions) => {
      if (options.brokers !== 1 && options.brokers !== 3) throw new InvalidArgumentError('--brokers must be 1 or 3');
      if (options.plan !== 'full' && options.plan !== 'ci') throw new InvalidArgumentError('--plan must be full or ci');
      // The first Ctrl-C ends the load and the faults early and still settles and audits what ran (a long run cut short
      // keeps its verdict); a second Ctrl-C, or SIGTERM, aborts: everything the run started is stopped and removed.
      const abort = new AbortController();
      const finish = new AbortController();
      let finishingSince = 0;
      process.on('SIGINT', () => {
        // One Ctrl-C reaches this process twice (from the terminal and forwarded by bin/paysaga.js): within a second it is the same one.
        if (finish.signal.aborted) { if (Date.now() - finishingSince > 1_000) abort.abort(); return; }
        finishingSince = Date.now();
        console.error('chaos: finishing early — the load and faults stop after the fault under way, then the run settles and audits (Ctrl-C again aborts)');
        finish.abort();
      });
      process.once('SIGTERM', () => { abort.abort(); });
      const { runChaos } = await import('./chaos/chaos-run.ts');
      const { formatChaos } = await import('./chaos/format-chaos.ts');
      const result = await runChaos({
        signal: abort.signal, finish: finish.signal,
        sagas: options.sagas, concurrency: Math.max(1, options.concurrency), kafkaNodes: options.brokers, plan: options.plan, minFaults: options.minFaults,
        timing: { downMs: options.downMs, windowMs: options.windowMs }, pauseMs: options.pauseMs, basePort: options.basePort, settleTimeoutMs: options.settleMs,
        mix: { decline: 0.15, cancel: 0.1, fullRefund: 0.05, partialRefund: 0.05 },
        log: (line) => { console.error(line); },
      });
      console.log(options.json ? JSON.stringify(result, null, 2) : formatChaos(result));
      if (result.audit.violations > 0 || !result.settled) process.exitCode = 1;
    });
}
