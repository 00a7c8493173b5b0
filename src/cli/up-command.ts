import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.ts';
import { SERVICE_NAMES } from './compose.ts';

/** The port each service listens on in `paysaga up` (base + position). */
export function servicePorts(base: number): Record<string, number> {
  return Object.fromEntries(SERVICE_NAMES.map((name, index) => [name, base + index]));
}

/**
 * `paysaga up`: distributed mode on one machine — every service in its own
 * process (`paysaga serve <service>`) against KAFKA_BROKERS and DATABASE_URL,
 * plus the gateway simulator, each on its own port. Ctrl-C stops them all.
 */
export function registerUpCommand(program: Command): void {
  program.command('up')
    .description('start every service as its own process on KAFKA_BROKERS and DATABASE_URL, plus the gateway simulator')
    .option('--base-port <port>', 'first service port (payment); the others follow', '3001')
    .option('--gateway-port <port>', 'gateway simulator port', '12111')
    .action(async (options: { basePort: string; gatewayPort: string }) => {
      const config = loadConfig();
      if (config.kafkaBrokers.length === 0 || config.databaseUrl.startsWith('pglite')) {
        throw new Error('paysaga up runs separate processes: set KAFKA_BROKERS and DATABASE_URL (postgres://…); for one process use npm start');
      }
      const base = Number(options.basePort);
      const gatewayPort = Number(options.gatewayPort);
      if (!Number.isSafeInteger(base) || !Number.isSafeInteger(gatewayPort)) throw new Error('ports must be integers');
      const ports = servicePorts(base);
      const node = process.execPath;
      const main = join(import.meta.dirname, 'main.ts');
      const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_paysaga_local';
      const children: ChildProcess[] = [];
      const run = (label: string, args: string[], env: NodeJS.ProcessEnv): void => {
        const child = spawn(node, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        const prefix = (chunk: Buffer): string => chunk.toString().split('\n').filter(Boolean).map((line) => `[${label}] ${line}`).join('\n');
        child.stdout?.on('data', (chunk: Buffer) => { console.log(prefix(chunk)); });
        child.stderr?.on('data', (chunk: Buffer) => { console.error(prefix(chunk)); });
        child.on('exit', (code) => { console.log(`[${label}] exited with ${code}`); });
        children.push(child);
      };
      run('gateway', ['gateway', '--port', String(gatewayPort), '--webhook-url', `http://127.0.0.1:${ports.payment}/webhooks/stripe`, '--webhook-secret', webhookSecret], {});
      for (const name of SERVICE_NAMES) {
        run(name, ['serve', name], { PORT: String(ports[name]), STRIPE_API_BASE: `http://127.0.0.1:${gatewayPort}`, STRIPE_WEBHOOK_SECRET: webhookSecret });
      }
      console.log(`paysaga up: ${SERVICE_NAMES.map((name) => `${name} :${ports[name]}`).join(', ')}, gateway :${gatewayPort}`);
      const stop = (): void => { for (const child of children) child.kill('SIGTERM'); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
    });
}
