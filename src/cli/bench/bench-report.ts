import type { BenchResult } from './bench-run.ts';
import type { SystemResult } from './measure-system.ts';

const fmt = (value: number | null | undefined, digits = 0): string => (value === null || value === undefined ? '–' : value.toFixed(digits));
const ms = (value: number | null): string => (value === null ? '–' : value >= 10_000 ? `${(value / 1_000).toFixed(1)} s` : `${Math.round(value)} ms`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? '').length)));
  const render = (row: string[]): string => row.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ');
  return [render(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(render)].join('\n');
}

function errorsOf(system: SystemResult): string {
  const entries = Object.entries(system.summary.errors);
  return entries.length === 0 ? '0' : entries.map(([kind, count]) => `${count} ${kind}`).join(', ');
}

/** The bench's result as text: the systems side by side, the ceilings and ratios, then each system's detail. */
export function renderReport(result: BenchResult): string {
  const out: string[] = [];
  out.push(`paysaga bench — ${result.load.description}; ${result.machine.cpus} cores, node ${result.machine.node}, ${result.startedAt}`);
  out.push('');
  out.push(table(
    ['system', 'sagas', 'completed/s', 'e2e p50', 'p95', 'p99', 'max', 'errors', 'CPU ms/saga', 'peak RSS MB', 'PG tx/saga', 'Kafka rec/saga', 'peak lag'],
    result.systems.map((system) => [
      `${system.system} (${system.short})`, `${system.summary.completed}/${system.summary.sagas}`, fmt(system.summary.completedPerSecond, 1),
      ms(system.summary.e2eMs.p50), ms(system.summary.e2eMs.p95), ms(system.summary.e2eMs.p99), ms(system.summary.e2eMs.max), errorsOf(system),
      fmt(system.cpuMsPerSaga), fmt(Math.max(0, ...system.processes.map((process) => process.peakRssMb))), fmt(system.pgTransactionsPerSaga, 1), fmt(system.kafkaRecordsPerSaga, 1),
      fmt(system.peakConsumerLag),
    ]),
  ));
  for (const failed of result.failures) out.push(`${failed.system}: not measured — ${failed.reason}`);
  const { ceilings } = result;
  out.push('');
  out.push('machine ceilings (same run, same drivers):');
  out.push(ceilings.postgres ? `  PostgreSQL: ${fmt(ceilings.postgres.commitsPerSecond)} commits/s (${ceilings.postgres.clients} clients, one-row insert transactions, ${ceilings.postgres.seconds} s)` : `  PostgreSQL: not measured (${ceilings.skipped.postgres ?? 'no DATABASE_URL'})`);
  out.push(ceilings.kafka ? `  Kafka: produce ${fmt(ceilings.kafka.producePerSecond)} records/s (${ceilings.kafka.recordBytes} B, acks=all, idempotent), consume ${fmt(ceilings.kafka.consumePerSecond)} records/s (${ceilings.kafka.records} records)` : `  Kafka: not measured (${ceilings.skipped.kafka ?? 'no KAFKA_BROKERS'})`);
  for (const ratio of result.ratios) out.push(`  ${ratio.system}: ${ratio.what} ${fmt(ratio.value, 1)} = ${(ratio.ofCeiling * 100).toFixed(1)} % of the ceiling`);
  for (const system of result.systems) {
    out.push('');
    out.push(`${system.system} — ${system.shape}: ${system.sagasStarted} sagas started (warm-up included), ${system.summary.windowMs.toFixed(0)} ms measured${system.clientBacklog ? `, ${system.clientBacklog} open-loop starts skipped (client backlog)` : ''}`);
    out.push(table(['HTTP route (client side)', 'calls', 'p50', 'p95', 'p99', 'max', 'statuses'], Object.entries(system.summary.httpMs).map(([route, figures]) => [
      route, String(figures.count), ms(figures.p50), ms(figures.p95), ms(figures.p99), ms(figures.max), Object.entries(figures.statuses).map(([status, count]) => `${status}×${count}`).join(' '),
    ])));
    out.push(table(['process', 'CPU s', 'cores', 'peak RSS MB'], [...system.processes, ...system.infrastructure].map((process) => [process.name, fmt(process.cpuSeconds, 1), fmt(process.cores, 2), fmt(process.peakRssMb)])));
    for (const [kind, samples] of Object.entries(system.summary.errorSamples)) out.push(`  ${kind}: ${(samples ?? []).join(' | ')}`);
    const schemas = Object.entries(system.pgWorkPerSagaBySchema ?? {});
    if (schemas.length > 0) {
      out.push(table(['PostgreSQL per saga, by schema', 'rows written', 'table scans'], schemas.map(([schema, work]) => [schema, fmt(work.rowsWritten, 1), fmt(work.scans, 1)])));
    }
  }
  return out.join('\n');
}
