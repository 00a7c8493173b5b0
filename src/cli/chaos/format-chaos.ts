import { formatReport } from '../audit/format-report.ts';
import type { ChaosResult } from './chaos-run.ts';

const table = (counts: Record<string, number>): string[] => Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => `  ${name.padEnd(36)} ${String(value).padStart(7)}`);

/** The run's figures: sagas, faults by kind, outcomes by kind, then the audit. */
export function formatChaos(result: ChaosResult): string {
  return [
    `sagas run: ${result.sagasRun}${result.endedEarly ? ' (ended early with Ctrl-C)' : ''}   duration: ${Math.round(result.durationMs / 1000)} s   settled: ${result.settled ? 'yes' : 'NO'}`,
    `faults injected: ${Object.values(result.faultsByKind).reduce((a, b) => a + b, 0)}`, ...table(result.faultsByKind),
    ...(result.faultFailures.length > 0 ? ['fault failures:', ...result.faultFailures.map((line) => `  ${line}`)] : []),
    `poison records: ${result.poison.published} published, ${result.poison.deadLettered} dead letters (discarded with a note)`,
    'outcomes by kind (as the load driver saw them):', ...table(result.outcomesByKind),
    '', formatReport(result.audit),
    `violations: ${result.audit.violations}`,
    `logs: ${result.logDir}`,
  ].join('\n');
}
