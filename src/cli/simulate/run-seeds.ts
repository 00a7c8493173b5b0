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
  /** Told each seed's result as it finishes (the command prints it). */
  onResult?: (result: SimulationResult) => void;
}

export interface SeedRunSummary {
  results: SimulationResult[];
  failedSeeds: number[];
  sagas: number;
  wallMs: number;
}

/** The oracle every simulated run is judged by: the auditor's invariants, and liveness once drained. */
export const SIMULATION_ORACLE: Oracle = allOf(auditorInvariants, sagasTerminal, ordersSettled);

/** Runs consecutive seeds on one PGlite database (opened once, emptied before each seed). */
export async function runSeeds(options: SeedRunOptions): Promise<SeedRunSummary> {
  const started = performance.now();
  const database = await openSimulationDatabase();
  const results: SimulationResult[] = [];
  try {
    for (let seed = options.firstSeed; seed < options.firstSeed + options.seeds; seed += 1) {
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
  return {
    results, failedSeeds: results.filter((result) => result.violations.length > 0).map((result) => result.seed),
    sagas: results.reduce((sum, result) => sum + Object.values(result.outcomes).reduce((a, b) => a + b, 0), 0),
    wallMs: Math.round(performance.now() - started),
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
