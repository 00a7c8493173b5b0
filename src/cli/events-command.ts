import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { decodeEnvelope } from '../contracts/codec.ts';
import { EVENT_TOPICS } from '../contracts/catalogue.ts';
import { loadConfig } from '../platform/config.ts';
import { openTransport } from '../platform/messaging/open-transport.ts';

interface EventsOptions {
  topics: string;
  key?: string;
  idleMs: string;
}

/** `topic` matches a pattern such as `payment.*` or an exact topic name. */
function matches(pattern: string, topic: string): boolean {
  return pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : topic === pattern;
}

/**
 * `paysaga events`: prints paysaga's events from Kafka, oldest first, through a
 * throwaway consumer group (it commits nothing anyone else reads), and stops
 * once no new event came for --idle-ms.
 */
export function registerEventsCommand(program: Command): void {
  program.command('events')
    .description('print events from Kafka (KAFKA_BROKERS), oldest first, e.g. paysaga events --topics "payment.*" --key order-1')
    .option('--topics <patterns>', 'comma-separated topics or prefixes ending in *', 'payment.*,order.*,inventory.*,delivery.*,saga.*')
    .option('--key <orderId>', 'only events of this order (the partition key)')
    .option('--idle-ms <ms>', 'stop after this long without a new event', '4000')
    .action(async (options: EventsOptions) => {
      const config = loadConfig();
      if (config.kafkaBrokers.length === 0) throw new Error('set KAFKA_BROKERS (e.g. 127.0.0.1:9092): the embedded transport lives inside its own process');
      const idleMs = Number(options.idleMs);
      if (!Number.isSafeInteger(idleMs) || idleMs < 100) throw new Error(`--idle-ms must be an integer ≥ 100, got ${options.idleMs}`);
      const patterns = options.topics.split(',').map((pattern) => pattern.trim()).filter(Boolean);
      const topics = EVENT_TOPICS.filter((topic) => patterns.some((pattern) => matches(pattern, topic)));
      if (topics.length === 0) throw new Error(`no paysaga topic matches ${options.topics}`);
      const transport = openTransport(config, 'paysaga-events');
      let last = Date.now();
      const seen: { at: string; line: string }[] = [];
      const subscription = await transport.subscribe({
        groupId: `paysaga-events-${randomBytes(4).toString('hex')}`, topics,
        handler: async (record) => {
          last = Date.now();
          if (options.key && record.key !== options.key) return;
          const decoded = decodeEnvelope(record.value);
          const line = decoded.ok
            ? `${record.topic.padEnd(26)} ${decoded.envelope.type.padEnd(24)} key=${record.key} ${JSON.stringify(decoded.envelope.payload)}`
            : `${record.topic.padEnd(26)} (undecodable: ${decoded.reason}) key=${record.key}`;
          seen.push({ at: decoded.ok ? decoded.envelope.occurredAt : '', line });
        },
      });
      while (Date.now() - last < idleMs) await new Promise((resolve) => setTimeout(resolve, 200));
      await subscription.close({ timeoutMs: 2_000 });
      await transport.close();
      // Topics are read in parallel; sorting by occurrence shows one order's story in the order it happened.
      for (const { line } of seen.sort((a, b) => a.at.localeCompare(b.at))) console.log(line);
      console.log(`(${seen.length} events)`);
    });
}
