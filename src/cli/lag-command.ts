import type { Command } from 'commander';
import { integerOption, printResult, withJson } from './cli-conventions.ts';
import { withInspector } from './kafka-cli.ts';
import { SERVICE_GROUPS, SERVICE_NAMES } from './service-names.ts';

interface LagOptions {
  group?: string[];
  allGroups?: boolean;
  maxLag?: number;
  json?: boolean;
}

/**
 * `paysaga lag`: each consumer group's committed offset against the end offset, per topic and partition, read
 * from Kafka (works with the services stopped). `--max-lag` makes it a check: exit 1 when any partition lags more.
 */
export function registerLagCommand(program: Command): void {
  withJson(program.command('lag')
    .description('consumer lag per group, topic and partition from Kafka: committed offset, end offset, lag (KAFKA_BROKERS, PAYSAGA_NAMESPACE)')
    .option('--group <group...>', `consumer groups (default: the services' groups, ${SERVICE_NAMES.map((name) => SERVICE_GROUPS[name]).join(', ')})`)
    .option('--all-groups', 'every consumer group in the namespace (paysaga events\' throwaway groups too)')
    .option('--max-lag <records>', 'exit 1 when a partition lags more than this (a check for scripts and alerts)', integerOption(0)))
    .action(async (options: LagOptions) => {
      const exceeded = await withInspector(async (inspector) => {
        const groups = options.allGroups ? await inspector.groups() : options.group ?? SERVICE_NAMES.map((name) => SERVICE_GROUPS[name]);
        const lag = await inspector.lag(groups);
        const total = lag.reduce((sum, group) => sum + group.partitions.reduce((partial, entry) => partial + entry.lag, 0n), 0n);
        printResult(options, { groups: lag, totalLag: total }, (data) => {
          const rows = [['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG']];
          for (const group of data.groups) {
            if (group.partitions.length === 0) rows.push([group.group, `(${group.state}, ${group.members} members, nothing committed)`, '', '', '', '']);
            for (const entry of group.partitions) rows.push([group.group, entry.topic, String(entry.partition), entry.committedOffset === null ? '-' : String(entry.committedOffset), String(entry.endOffset), String(entry.lag)]);
          }
          const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
          return [...rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()), `total lag ${data.totalLag}`].join('\n');
        });
        return options.maxLag === undefined ? [] : lag.flatMap((group) => group.partitions.filter((entry) => entry.lag > BigInt(options.maxLag ?? 0)).map((entry) => `${group.group} ${entry.topic}[${entry.partition}] lags ${entry.lag}`));
      });
      if (exceeded.length > 0) throw new Error(`lag above --max-lag ${options.maxLag}: ${exceeded.join('; ')}`);
    });
}
