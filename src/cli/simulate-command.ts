import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';

interface SimulateOptions {
  seed: number;
  seeds: number;
  sagas: number;
  jobs?: number;
  verbose?: boolean;
}

function parseCount(name: string, minimum: number) {
  return (value: string): number => {
    const count = Number(value);
    if (!/^\d+$/.test(value) || count < minimum || !Number.isSafeInteger(count)) throw new InvalidArgumentError(`${name} is a whole number, ${minimum} or more.`);
    return count;
  };
}

/** `paysaga simulate`: seeded, deterministic runs of whole sagas under faults, judged by the auditor's invariants. */
export function registerSimulateCommand(program: Command): void {
  program.command('simulate')
    .description('deterministic simulation: sagas under seeded faults (redelivery, duplicates, reordering, crashes, rebalances, restarts, delays, gateway errors, late/duplicate/lost webhooks) on a virtual clock, then the invariants; a failing seed replays exactly')
    .option('--seed <n>', 'the (first) seed', parseCount('--seed', 0), 1)
    .option('--seeds <k>', 'how many consecutive seeds to run', parseCount('--seeds', 1), 1)
    .option('--sagas <m>', 'checkouts per seed (cancellations and refunds follow from them)', parseCount('--sagas', 1), 50)
    .option('--jobs <n>', 'worker threads sharing the seeds out, each with its own PGlite (default: one per core, at most one per seed); results do not depend on it', parseCount('--jobs', 1))
    .option('--verbose', 'print every step of the run (in one thread)')
    .action(async (options: SimulateOptions) => {
      const { describeResult, runSeeds } = await import('./simulate/run-seeds.ts');
      const summary = await runSeeds({
        firstSeed: options.seed, seeds: options.seeds, sagas: options.sagas, jobs: options.jobs ?? availableParallelism(),
        ...(options.verbose ? { onAction: (seed: number, line: string) => { console.log(`[${seed}] ${line}`); } } : {}),
        onResult: (result) => { console.log(describeResult(result, `npx paysaga simulate --seed ${result.seed} --sagas ${options.sagas}`).join('\n')); },
      });
      const rate = summary.sagas / Math.max(summary.wallMs / 1_000, 0.001);
      console.log(`${summary.results.length} seed(s), ${summary.sagas} sagas in ${(summary.wallMs / 1_000).toFixed(1)} s (${rate.toFixed(1)} sagas/s), ${summary.failedSeeds.length === 0 ? 'no violations' : `violations in seed(s) ${summary.failedSeeds.join(', ')}`}`);
      if (summary.failedSeeds.length > 0) {
        for (const seed of summary.failedSeeds) console.log(`replay: npx paysaga simulate --seed ${seed} --sagas ${options.sagas}`);
        process.exitCode = 1;
      }
    });
}
