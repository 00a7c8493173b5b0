import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { IncomingRecord } from '../platform/messaging/transport.ts';
import { integerOption, note, UsageError, untilStopped, withJson } from './cli-conventions.ts';
import { kafkaConfig } from './kafka-cli.ts';

interface EventsOptions {
  topics: string;
  key?: string;
  idleMs: number;
  follow?: boolean;
  json?: boolean;
}

/** `topic` matches a pattern such as `payment.*` or an exact topic name. */
function matches(pattern: string, topic: string): boolean {
  return pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : topic === pattern;
}

interface PrintedEvent {
  at: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  type: string | null;
  payload: unknown;
  error: string | null;
}

/**
 * `paysaga events`: prints paysaga's events from Kafka through a throwaway consumer group (it commits nothing
 * anyone else reads). Without --follow it stops once no new event came for --idle-ms and prints them oldest
 * first; with --follow it prints each as it arrives until SIGINT/SIGTERM, then exits 0.
 */
export function registerEventsCommand(program: Command): void {
  withJson(program.command('events')
    .description('print events from Kafka (KAFKA_BROKERS), oldest first, e.g. paysaga events --topics "payment.*" --key order-1; --follow keeps printing')
    .option('--topics <patterns>', 'comma-separated topics or prefixes ending in *', 'payment.*,order.*,inventory.*,delivery.*,saga.*')
    .option('--key <orderId>', 'only events of this order (the partition key)')
    .option('--idle-ms <ms>', 'without --follow: stop after this long without a new event', integerOption(100), 4_000)
    .option('--follow', 'keep printing events as they arrive until Ctrl-C or SIGTERM (exit 0)'))
    .addHelpText('after', '\nWith --json: one JSON document {events:[…]}; with --follow --json: one JSON object per line (NDJSON).')
    .action(async (options: EventsOptions) => {
      const config = await kafkaConfig();
      const { EVENT_TOPICS } = await import('../contracts/catalogue.ts');
      const { decodeEnvelope } = await import('../contracts/codec.ts');
      const { openTransport } = await import('../platform/messaging/open-transport.ts');
      const patterns = options.topics.split(',').map((pattern) => pattern.trim()).filter(Boolean);
      const topics = EVENT_TOPICS.filter((topic) => patterns.some((pattern) => matches(pattern, topic)));
      if (topics.length === 0) throw new UsageError(`no paysaga topic matches ${options.topics}`);
      const describe = (record: IncomingRecord): PrintedEvent => {
        const decoded = decodeEnvelope(record.value);
        const base = { topic: record.topic, partition: record.partition, offset: String(record.offset), key: record.key };
        return decoded.ok
          ? { ...base, at: decoded.envelope.occurredAt, type: decoded.envelope.type, payload: decoded.envelope.payload, error: null }
          : { ...base, at: new Date(record.timestamp).toISOString(), type: null, payload: null, error: decoded.reason };
      };
      const line = (event: PrintedEvent): string => (event.type === null
        ? `${event.topic.padEnd(26)} (undecodable: ${event.error ?? ''}) key=${event.key}`
        : `${event.topic.padEnd(26)} ${event.type.padEnd(24)} key=${event.key} ${JSON.stringify(event.payload)}`);
      const transport = openTransport(config, 'paysaga-events');
      let last = Date.now();
      const seen: PrintedEvent[] = [];
      const subscription = await transport.subscribe({
        groupId: `paysaga-events-${randomBytes(4).toString('hex')}`, topics,
        handler: async (record) => {
          last = Date.now();
          if (options.key && record.key !== options.key) return;
          const event = describe(record);
          if (options.follow) process.stdout.write(`${options.json ? JSON.stringify(event) : line(event)}\n`);
          else seen.push(event);
        },
      });
      try {
        if (options.follow) {
          note(`following ${topics.length} topics; Ctrl-C stops`);
          await untilStopped();
        } else {
          while (Date.now() - last < options.idleMs) await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } finally {
        await subscription.close({ timeoutMs: 2_000 });
        await transport.close();
      }
      if (options.follow) return;
      // Topics are read in parallel; sorting by occurrence shows one order's story in the order it happened.
      const events = seen.sort((a, b) => a.at.localeCompare(b.at));
      if (options.json) process.stdout.write(`${JSON.stringify({ events }, null, 2)}\n`);
      else {
        for (const event of events) console.log(line(event));
        console.log(`(${events.length} events)`);
      }
    });
}
