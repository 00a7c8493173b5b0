import type { Command } from 'commander';
import { integerOption } from './cli-conventions.ts';

/**
 * `paysaga up`: distributed mode on one machine (each service its own process, plus the gateway simulator,
 * behind one front door); the supervisor is up-runner.ts, loaded when the command runs.
 */
export function registerUpCommand(program: Command): void {
  program.command('up')
    .description('start every service as its own process on KAFKA_BROKERS and DATABASE_URL, plus the gateway simulator, behind one front door')
    .option('--port <port>', 'front door port: every service\'s routes on one URL', integerOption(0, 65_535), 3000)
    .option('--base-port <port>', 'first service port (payment); the others follow', integerOption(0, 65_535), 3001)
    .option('--gateway-port <port>', 'gateway simulator port', integerOption(0, 65_535), 12_111)
    .action(async (options: { port: number; basePort: number; gatewayPort: number }) => {
      const { runUp } = await import('./up-runner.ts');
      await runUp(options);
    });
}
