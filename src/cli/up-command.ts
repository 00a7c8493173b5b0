import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.ts';
import { backoffDelay } from '../platform/utils/backoff.ts';
import { SERVICE_NAMES } from './compose.ts';

/** The port each service listens on in `paysaga up` (base + position). */
export function servicePorts(base: number): Record<string, number> {
  return Object.fromEntries(SERVICE_NAMES.map((name, index) => [name, base + index]));
}

/** Restart policy for a process that exits on its own: backoff doubling to a cap, and a give-up for crash loops. */
const RESTART_BACKOFF = { initialMs: 1_000, maxMs: 30_000 };
/** This many exits in a row, each within STABLE_AFTER_MS of its start, is a crash loop: stop everything. */
const CRASH_LOOP_LIMIT = 5;
const STABLE_AFTER_MS = 60_000;

interface Supervised {
  label: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  child: ChildProcess | null;
  quickExits: number;
}

/**
 * `paysaga up`: distributed mode on one machine — every service in its own
 * process (`paysaga serve <service>`) against KAFKA_BROKERS and DATABASE_URL,
 * plus the gateway simulator, each on its own port. A process that dies is
 * restarted (the sagas it was part of resume from their stored state); Ctrl-C
 * stops them all gracefully.
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
      const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_paysaga_local';
      const processes: Supervised[] = [
        { label: 'gateway', args: ['gateway', '--port', String(gatewayPort), '--webhook-url', `http://127.0.0.1:${ports.payment}/webhooks/stripe`, '--webhook-secret', webhookSecret], env: {}, child: null, quickExits: 0 },
        ...SERVICE_NAMES.map((name): Supervised => ({
          label: name, args: ['serve', name], child: null, quickExits: 0,
          env: { PORT: String(ports[name]), STRIPE_API_BASE: `http://127.0.0.1:${gatewayPort}`, STRIPE_WEBHOOK_SECRET: webhookSecret },
        })),
      ];
      const pendingRestarts = new Set<NodeJS.Timeout>();
      let stopping = false;
      let exitCode = 0;
      let resolveDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => { resolveDone = resolve; });
      const stopAll = (): void => {
        stopping = true;
        for (const timer of pendingRestarts) clearTimeout(timer);
        for (const entry of processes) entry.child?.kill('SIGTERM');
        if (processes.every((entry) => entry.child === null)) resolveDone();
      };
      const launch = (entry: Supervised): void => {
        const startedAt = Date.now();
        const child = spawn(process.execPath, [join(import.meta.dirname, 'main.ts'), ...entry.args], { env: { ...process.env, ...entry.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        entry.child = child;
        const prefix = (chunk: Buffer): string => chunk.toString().split('\n').filter(Boolean).map((line) => `[${entry.label}] ${line}`).join('\n');
        child.stdout?.on('data', (chunk: Buffer) => { console.log(prefix(chunk)); });
        child.stderr?.on('data', (chunk: Buffer) => { console.error(prefix(chunk)); });
        console.log(`[${entry.label}] pid ${child.pid ?? '?'}`);
        child.once('exit', (code, signal) => {
          entry.child = null;
          console.log(`[${entry.label}] exited with ${signal ?? code}`);
          if (stopping) {
            if (processes.every((other) => other.child === null)) resolveDone();
            return;
          }
          entry.quickExits = Date.now() - startedAt < STABLE_AFTER_MS ? entry.quickExits + 1 : 1;
          if (entry.quickExits >= CRASH_LOOP_LIMIT) {
            console.error(`[${entry.label}] exited ${entry.quickExits} times in a row within ${STABLE_AFTER_MS / 1_000} s of starting; stopping everything`);
            exitCode = 1;
            stopAll();
            return;
          }
          const delay = backoffDelay(entry.quickExits - 1, RESTART_BACKOFF);
          console.log(`[${entry.label}] restarting in ${delay / 1_000} s`);
          pendingRestarts.add(setTimeout(() => { if (!stopping) launch(entry); }, delay));
        });
      };
      for (const entry of processes) launch(entry);
      console.log(`paysaga up: ${SERVICE_NAMES.map((name) => `${name} :${ports[name]}`).join(', ')}, gateway :${gatewayPort}`);
      process.once('SIGINT', stopAll);
      process.once('SIGTERM', stopAll);
      await done;
      process.exitCode = exitCode;
    });
}
