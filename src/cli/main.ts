import { resolve } from 'node:path';
import { Command } from 'commander';
import { isEmbedded, loadConfig } from '../platform/config.ts';
import { openTransport } from '../platform/messaging/open-transport.ts';
import { paysagaTopicSpecs } from '../platform/messaging/topic-specs.ts';
import { SERVICE_NAMES } from './compose.ts';
import { registerEventsCommand } from './events-command.ts';
import { registerInspectCommands } from './inspect-commands.ts';
import { registerServeCommands } from './serve-command.ts';
import { registerUpCommand } from './up-command.ts';
import { registerGatewayCommand } from './gateway-command.ts';
import { registerAuditCommand } from './audit-command.ts';
import { registerChaosCommand } from './chaos-command.ts';
import { registerSimulateCommand } from './simulate-command.ts';
import { describeStart, startPlatform } from './start.ts';

const program = new Command('paysaga').description('Event-driven payment platform: checkout as one saga over Kafka and PostgreSQL');

program.command('start')
  .description('run paysaga (embedded by default, data in memory; KAFKA_BROKERS and DATABASE_URL switch to Kafka and PostgreSQL)')
  .option('--data-dir <dir>', 'keep embedded mode\'s database in this directory (DATABASE_URL=pglite://<dir>) instead of in memory')
  .action(async (options: { dataDir?: string }) => {
    const loaded = loadConfig();
    if (options.dataDir !== undefined && !isEmbedded(loaded)) throw new Error('--data-dir is for embedded mode (PGlite); unset DATABASE_URL and KAFKA_BROKERS, or drop --data-dir');
    const config = options.dataDir === undefined ? loaded : { ...loaded, databaseUrl: `pglite://${resolve(options.dataDir)}` };
    const started = await startPlatform(config, { services: SERVICE_NAMES });
    console.log(await describeStart(started, config));
  });

const topics = program.command('topics').description('Kafka topics');
topics.command('create')
  .description('create every paysaga topic (idempotent) with KAFKA_PARTITIONS, KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS')
  .action(async () => {
    const config = loadConfig();
    if (config.kafkaBrokers.length === 0) throw new Error('set KAFKA_BROKERS (e.g. 127.0.0.1:9092)');
    const transport = openTransport(config, 'paysaga-cli');
    try {
      const specs = paysagaTopicSpecs(config);
      await transport.ensureTopics(specs);
      const counts = await transport.describeTopics(specs.map((spec) => spec.name));
      for (const spec of specs) console.log(`${spec.name}\t${counts.get(spec.name) ?? 'missing'} partitions`);
    } finally {
      await transport.close();
    }
  });

registerEventsCommand(program);
registerServeCommands(program);
registerUpCommand(program);
registerInspectCommands(program);

registerGatewayCommand(program);
registerAuditCommand(program);
registerChaosCommand(program);
registerSimulateCommand(program);

program.parseAsync().catch((error: unknown) => {
  console.error(`paysaga: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
