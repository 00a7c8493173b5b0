import type { Command } from 'commander';
import { DEVELOPMENT_SECRETS, loadConfig } from '../platform/config.ts';
import { issueToken, ROLES, type Role } from '../platform/http/auth.ts';
import { isServiceName, SERVICE_NAMES, type ServiceName } from './compose.ts';
import { describeStart, startPlatform } from './start.ts';

/** `paysaga serve <service…>` (distributed mode: one or more services per process) and `paysaga token`. */
export function registerServeCommands(program: Command): void {
  program.command('serve')
    .argument('<services...>', `${SERVICE_NAMES.join(', ')}, or all`)
    .description('run some services in this process, configured by the environment (KAFKA_BROKERS, DATABASE_URL, PORT, AUTH_SECRET, STRIPE_API_BASE, …)')
    .action(async (names: string[]) => {
      const services: ServiceName[] = names.includes('all') ? [...SERVICE_NAMES] : [];
      for (const name of names.filter((candidate) => candidate !== 'all')) {
        if (!isServiceName(name)) throw new Error(`unknown service ${name}: choose from ${SERVICE_NAMES.join(', ')}, or all`);
        if (!services.includes(name)) services.push(name);
      }
      const config = loadConfig();
      const started = await startPlatform(config, { services, log: (line) => { console.log(line); } });
      console.log(await describeStart(started, config));
    });

  program.command('token')
    .description('mint a bearer token signed with AUTH_SECRET (or the development secret)')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .requiredOption('--subject <id>', 'customer, restaurant or courier id (any id for admin)')
    .option('--ttl <seconds>', 'lifetime', '86400')
    .action(async (options: { role: string; subject: string; ttl: string }) => {
      if (!(ROLES as readonly string[]).includes(options.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const ttl = Number(options.ttl);
      if (!Number.isSafeInteger(ttl) || ttl < 1) throw new Error('--ttl must be a positive integer of seconds');
      console.log(await issueToken(loadConfig().secrets.authSecret ?? DEVELOPMENT_SECRETS.AUTH_SECRET, { subject: options.subject, role: options.role as Role }, ttl));
    });
}
