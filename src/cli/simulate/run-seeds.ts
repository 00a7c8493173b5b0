import { Worker } from 'node:worker_threads';
import { allOf, auditorInvariants, ordersSettled, sagasTerminal, type Oracle } from './oracle.ts';
import { openSimulationDatabase } from './simulated-world.ts';
import { runSimulation, type InjectedBug, type SimulationResult } from './simulation.ts';

export interface SeedRunOptions {
  /** The first seed; seeds first … first + count − 1 run. */
  firstSeed: number;
  seeds: number;
  sagas: number;
  oracle?: Oracle;
  bug?: InjectedBug;
  onAction?: (seed: number, line: string) => void;
  /** Told each seed's result, in seed order (the command prints it). */
  onResult?: (result: SimulationResult) => void;
  /**
   * Worker threads that share the seeds out, each with its own PGlite (default 1: this thread). A seed's run does not
   * depend on where it runs, so results are the same; a custom oracle or `onAction` keeps everything in this thread.
   */
  jobs?: number;
}

/** What a worker thread is given (seed-worker.ts), and what it reports back. */
export interface SeedWorkerTask {
  seeds: number[];
  sagas: number;
  bug?: InjectedBug;
}
export type SeedWorkerReport = { kind: 'result'; result: SimulationResult } | { kind: 'done' } | { kind: 'failed'; message: string };

export interface SeedRunSummary {
  results: SimulationResult[];
  failedSeeds: number[];
  sagas: number;
  wallMs: number;
}

/** The oracle every simulated run is judged by: the auditor's invariants, and liveness once drained. */
export const SIMULATION_ORACLE: Oracle = allOf(auditorInvariants, sagasTerminal, ordersSettled);

/** Runs consecutive seeds on one PGlite database per thread (opened once, emptied before each seed). */
export async function runSeeds(options: SeedRunOptions): Promise<SeedRunSummary> {
  const started = performance.now();
  const seeds = Array.from({ length: options.seeds }, (_, index) => options.firstSeed + index);
  const jobs = Math.min(options.jobs ?? 1, seeds.length);
  const inOrder = inSeedOrder(seeds, options.onResult);
  const results = jobs > 1 && !options.oracle && !options.onAction
    ? await runInWorkers(seeds, jobs, options, inOrder)
    : await runSeedList(seeds, { ...options, onResult: inOrder });
  results.sort((a, b) => a.seed - b.seed);
  return {
    results, failedSeeds: results.filter((result) => result.violations.length > 0).map((result) => result.seed),
    sagas: results.reduce((sum, result) => sum + Object.values(result.outcomes).reduce((a, b) => a + b, 0), 0),
    wallMs: Math.round(performance.now() - started),
  };
}

/** Seeds one after another on one database, in this thread. */
export async function runSeedList(seeds: readonly number[], options: Pick<SeedRunOptions, 'sagas' | 'oracle' | 'bug' | 'onAction' | 'onResult'>): Promise<SimulationResult[]> {
  const database = await openSimulationDatabase();
  const results: SimulationResult[] = [];
  try {
    for (const seed of seeds) {
      const result = await runSimulation({
        seed, sagas: options.sagas, database, oracle: options.oracle ?? SIMULATION_ORACLE,
        ...(options.bug ? { bug: options.bug } : {}),
        ...(options.onAction ? { onAction: (line: string) => options.onAction?.(seed, line) } : {}),
      });
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await database.close();
  }
  return results;
}

/** Seeds dealt round-robin to `jobs` worker threads; a worker that fails fails the run. */
async function runInWorkers(seeds: readonly number[], jobs: number, options: SeedRunOptions, onResult: (result: SimulationResult) => void): Promise<SimulationResult[]> {
  const results: SimulationResult[] = [];
  const shares = Array.from({ length: jobs }, (_, job) => seeds.filter((_, index) => index % jobs === job));
  await Promise.all(shares.map((share) => new Promise<void>((resolve, reject) => {
    const task: SeedWorkerTask = { seeds: share, sagas: options.sagas, ...(options.bug ? { bug: options.bug } : {}) };
    const worker = new Worker(new URL('./seed-worker.ts', import.meta.url), { workerData: task });
    let finished = false;
    worker.on('message', (report: SeedWorkerReport) => {
      if (report.kind === 'result') {
        results.push(report.result);
        onResult(report.result);
      } else {
        finished = true;
        if (report.kind === 'done') resolve();
        else reject(new Error(`a simulation worker (seeds ${share.join(', ')}) failed: ${report.message}`));
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => { if (!finished) reject(new Error(`a simulation worker (seeds ${share.join(', ')}) exited with code ${code} before it finished`)); });
  })));
  return results;
}

/** Hands results on in seed order, whichever thread finishes first. */
function inSeedOrder(seeds: readonly number[], onResult: ((result: SimulationResult) => void) | undefined): (result: SimulationResult) => void {
  const waiting = new Map<number, SimulationResult>();
  let next = 0;
  return (result) => {
    waiting.set(result.seed, result);
    for (let seed = seeds[next]; seed !== undefined && waiting.has(seed); seed = seeds[next]) {
      const ready = waiting.get(seed);
      waiting.delete(seed);
      next += 1;
      if (ready) onResult?.(ready);
    }
  };
}

const byKey = (counts: Partial<Record<string, number>>): string =>
  Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => `${key} ${value ?? 0}`).join(', ') || 'none';

/** What `paysaga simulate` prints for one seed. */
export function describeResult(result: SimulationResult, replay: string): string[] {
  const lines = [
    `seed ${result.seed}: ${result.sagas} checkouts, ${Object.values(result.outcomes).reduce((a, b) => a + b, 0)} sagas, ${result.steps} steps, ${result.records} records, ${Math.round(result.virtualMs / 1_000)} s virtual in ${(result.wallMs / 1_000).toFixed(1)} s`,
    `  faults:     ${byKey(result.faults)}`,
    `  outcomes:   ${byKey(result.outcomes)}`,
    `  trace:      ${result.traceHash.slice(0, 16)}`,
    `  violations: ${result.violations.length}`,
  ];
  for (const violation of result.violations) lines.push(`    [${violation.check}] ${violation.message}`);
  if (result.violations.length > 0) lines.push(`  replay:     ${replay}`);
  return lines;
}
