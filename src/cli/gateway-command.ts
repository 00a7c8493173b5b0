import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_PORT, DEFAULT_WEBHOOK_SECRET } from '../gateway/simulator/defaults.ts';
import { DEFAULT_FAULTS } from '../gateway/simulator/faults.ts';
import { isHttpUrl } from '../gateway/simulator/http-url.ts';
import type { GatewayFaults } from '../gateway/simulator/types.ts';

interface GatewayCommandOptions {
  port: number;
  host: string;
  webhookUrl?: string;
  webhookSecret?: string;
  latencyMs?: number;
  latencyJitterMs?: number;
  errorRate?: number;
  timeoutRate?: number;
  timeoutHoldMs?: number;
  duplicateWebhookRate?: number;
  outOfOrderWebhooks?: boolean;
  dropWebhookRate?: number;
  webhookDelayMs?: number;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('A port is an integer from 0 to 65535 (0 = any free port).');
  return port;
}

function parseRate(value: string): number {
  const rate = Number(value);
  if (value.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) throw new InvalidArgumentError('A rate is a number from 0 to 1.');
  return rate;
}

function parseMs(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('A duration is a whole number of milliseconds, 0 or more.');
  return ms;
}

function parseUrl(value: string): string {
  if (!isHttpUrl(value)) throw new InvalidArgumentError('The webhook URL must be an http(s) URL.');
  return value;
}

function parseSecret(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('The webhook secret must not be empty (Stripe\'s look like whsec_…).');
  return value;
}

function faultsFrom(options: GatewayCommandOptions): Partial<GatewayFaults> {
  const faults: Partial<GatewayFaults> = {};
  if (options.latencyMs !== undefined) faults.latencyMs = options.latencyMs;
  if (options.latencyJitterMs !== undefined) faults.latencyJitterMs = options.latencyJitterMs;
  if (options.errorRate !== undefined) faults.errorRate = options.errorRate;
  if (options.timeoutRate !== undefined) faults.timeoutRate = options.timeoutRate;
  if (options.timeoutHoldMs !== undefined) faults.timeoutHoldMs = options.timeoutHoldMs;
  if (options.duplicateWebhookRate !== undefined) faults.webhookDuplicateRate = options.duplicateWebhookRate;
  if (options.outOfOrderWebhooks === true) faults.webhookOutOfOrder = true;
  if (options.dropWebhookRate !== undefined) faults.webhookDropRate = options.dropWebhookRate;
  if (options.webhookDelayMs !== undefined) faults.webhookDelayMs = options.webhookDelayMs;
  return faults;
}

async function runGateway(options: GatewayCommandOptions): Promise<void> {
  const { loadConfig } = await import('../platform/config.ts');
  const { startGatewaySimulator } = await import('../gateway/simulator/simulator.ts');
  const { installGracefulShutdown } = await import('../platform/lifecycle/graceful-shutdown.ts');
  // The flag, else STRIPE_WEBHOOK_SECRET (how `paysaga up` hands it over: not on a command line that `ps` shows), else the simulator's default.
  const webhookSecret = options.webhookSecret ?? loadConfig().secrets.stripeWebhookSecret ?? DEFAULT_WEBHOOK_SECRET;
  const simulator = await startGatewaySimulator({
    host: options.host,
    port: options.port,
    webhookUrl: options.webhookUrl ?? null,
    webhookSecret,
    faults: faultsFrom(options),
  });
  installGracefulShutdown([{ name: 'stop the gateway simulator', run: () => simulator.close() }]);
  const faults = simulator.faults();
  const active = (Object.keys(faults) as (keyof GatewayFaults)[]).filter((name) => faults[name] !== DEFAULT_FAULTS[name]);
  console.log([
    `paysaga gateway simulator (Stripe-compatible) listening on ${simulator.url}`,
    `  point the official SDK at it: new Stripe('sk_test_…', { host: '${simulator.host}', port: ${simulator.port}, protocol: 'http' })`,
    options.webhookUrl === undefined
      ? '  webhooks: none (pass --webhook-url to receive signed events)'
      : `  webhooks: ${options.webhookUrl} signed with ${webhookSecret === DEFAULT_WEBHOOK_SECRET ? `the default secret ${DEFAULT_WEBHOOK_SECRET}` : 'the given secret'}`,
    `  faults: ${active.length === 0 ? 'none' : active.map((name) => `${name}=${String(faults[name])}`).join(', ')}`,
    `  control: curl ${simulator.url}/_simulator/stats · curl -X POST ${simulator.url}/_simulator/faults -H 'Content-Type: application/json' -d '{"errorRate":0.1}'`,
    'Ctrl-C stops it.',
  ].join('\n'));
}

/** `paysaga gateway`: the Stripe-compatible simulator as a standalone process. */
export function registerGatewayCommand(program: Command): void {
  program.command('gateway')
    .description('run the Stripe-compatible gateway simulator (payment intents, refunds, events, signed webhooks, fault knobs)')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, DEFAULT_PORT)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--webhook-url <url>', 'endpoint that receives signed events', parseUrl)
    .option('--webhook-secret <secret>', `webhook signing secret (whsec_…; default: STRIPE_WEBHOOK_SECRET, else ${DEFAULT_WEBHOOK_SECRET})`, parseSecret)
    .option('--latency-ms <ms>', 'latency added to every API response', parseMs)
    .option('--latency-jitter-ms <ms>', 'plus a random 0..N ms', parseMs)
    .option('--error-rate <rate>', 'share of API requests answered 500 without executing (0..1)', parseRate)
    .option('--timeout-rate <rate>', 'share of API requests executed but never answered (0..1)', parseRate)
    .option('--timeout-hold-ms <ms>', 'how long an unanswered request is held before its connection is cut', parseMs)
    .option('--duplicate-webhook-rate <rate>', 'share of events delivered twice (0..1)', parseRate)
    .option('--out-of-order-webhooks', 'shuffle the events of each short window')
    .option('--drop-webhook-rate <rate>', 'share of events never delivered (0..1)', parseRate)
    .option('--webhook-delay-ms <ms>', 'delay before the first delivery attempt', parseMs)
    .action((options: GatewayCommandOptions) => runGateway(options));
}
