import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ROLES, type Role } from '../platform/http/roles.ts';
import { integerOption, UsageError } from './cli-conventions.ts';
import { isServiceName, SERVICE_NAMES, type ServiceName } from './service-names.ts';

/** `paysaga start` (embedded), `paysaga serve <service…>` (distributed mode: one or more services per process) and `paysaga token`. */
export function registerServeCommands(program: Command): void {
  program.command('start')
    .description('run paysaga (embedded by default, data in memory; KAFKA_BROKERS and DATABASE_URL switch to Kafka and PostgreSQL)')
    .option('--data-dir <dir>', 'keep embedded mode\'s database in this directory (DATABASE_URL=pglite://<dir>) instead of in memory')
    .action(async (options: { dataDir?: string }) => {
      const { isEmbedded, loadConfig } = await import('../platform/config.ts');
      const { describeStart, startPlatform } = await import('./start.ts');
      const loaded = loadConfig();
      if (options.dataDir !== undefined && !isEmbedded(loaded)) throw new UsageError('--data-dir is for embedded mode (PGlite); unset DATABASE_URL and KAFKA_BROKERS, or drop --data-dir');
      const config = options.dataDir === undefined ? loaded : { ...loaded, databaseUrl: `pglite://${resolve(options.dataDir)}` };
      const started = await startPlatform(config, { services: SERVICE_NAMES });
      console.log(await describeStart(started, config));
    });

  program.command('serve')
    .argument('<services...>', `${SERVICE_NAMES.join(', ')}, or all`)
    .description('run some services in this process, configured by the environment (KAFKA_BROKERS, DATABASE_URL, PORT, AUTH_SECRET, STRIPE_API_BASE, …)')
    .action(async (names: string[]) => {
      const services: ServiceName[] = names.includes('all') ? [...SERVICE_NAMES] : [];
      for (const name of names.filter((candidate) => candidate !== 'all')) {
        if (!isServiceName(name)) throw new UsageError(`unknown service ${name}: choose from ${SERVICE_NAMES.join(', ')}, or all`);
        if (!services.includes(name)) services.push(name);
      }
      const { loadConfig } = await import('../platform/config.ts');
      const { describeStart, startPlatform } = await import('./start.ts');
      const config = loadConfig();
      const started = await startPlatform(config, { services, log: (line) => { console.log(line); } });
      console.log(await describeStart(started, config));
    });

  program.command('token')
    .description('mint a bearer token signed with AUTH_SECRET (or the development secret)')
    .addOption(new Option('--role <role>', 'who the token is for').choices(ROLES).makeOptionMandatory())
    .requiredOption('--subject <id>', 'customer, restaurant or courier id (any id for admin)')
    .option('--ttl <seconds>', 'lifetime in seconds', integerOption(1), 86_400)
    .action(async (options: { role: Role; subject: string; ttl: number }) => {
      const { DEVELOPMENT_SECRETS, loadConfig } = await import('../platform/config.ts');
      const { issueToken } = await import('../platform/http/auth.ts');
      console.log(await issueToken(loadConfig().secrets.authSecret ?? DEVELOPMENT_SECRETS.AUTH_SECRET, { subject: options.subject, role: options.role }, options.ttl));
    });
}
