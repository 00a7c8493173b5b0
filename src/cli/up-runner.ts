import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { childEnvironment, deploymentSecrets, isEmbedded, loadConfig, type PlatformConfig } from '../platform/config.ts';
import { createFrontDoor, fetchOpenApi, type OpenApiDocument, type Upstream } from '../platform/http/front-door.ts';
import { backoffDelay } from '../platform/utils/backoff.ts';
import { sleep } from '../platform/utils/sleep.ts';
import { SERVICE_NAMES } from './service-names.ts';
import { ephemeralPortRange, overlapsEphemeral } from './ports.ts';
import { checkoutWalkthrough } from './walkthrough.ts';

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
  /** Variables set (or, null, removed) for this child: each gets only the secrets it uses. */
  env: Record<string, string | null>;
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
/**
 * The secrets `up` hands out: AUTH_SECRET must be given (tokens are minted with
 * it); the Stripe ones, shared only by the payment service and the simulator
 * `up` starts, are generated when not given. Development values are refused.
 */
function upSecrets(config: PlatformConfig): { authSecret: string; stripeApiKey: string; stripeWebhookSecret: string } {
  const secrets = {
    ...config.secrets,
    stripeApiKey: config.secrets.stripeApiKey ?? `sk_test_${randomBytes(24).toString('hex')}`,
    stripeWebhookSecret: config.secrets.stripeWebhookSecret ?? `whsec_${randomBytes(24).toString('hex')}`,
  };
  return deploymentSecrets({ ...config, secrets }, { payment: true });
}

/** Waits until every service answers its OpenAPI document (the front door's routes come from them). */
async function documentsOf(upstreams: readonly Upstream[], stopped: AbortSignal): Promise<Map<string, OpenApiDocument> | null> {
  const documents = new Map<string, OpenApiDocument>();
  while (!stopped.aborted && documents.size < upstreams.length) {
    for (const upstream of upstreams.filter((candidate) => !documents.has(candidate.name))) {
      const document = await fetchOpenApi(upstream);
      if (document) documents.set(upstream.name, document);
    }
    if (documents.size < upstreams.length) await sleep(500, stopped);
  }
  return stopped.aborted ? null : documents;
}

function banner(url: string, ports: Record<string, number>, gatewayPort: number, routeCount: number): string {
  return [
    `paysaga up: front door ${url} (${routeCount} routes) → ${SERVICE_NAMES.map((name) => `${name} :${ports[name]}`).join(', ')}; gateway simulator :${gatewayPort}`,
    `  API:        ${url}   (OpenAPI: ${url}/openapi.json)`,
    `  readiness:  curl ${url}/health/ready`,
    `  dashboard:  ${url}/dashboard/   (paste an admin token)`,
    '  tokens (signed with the AUTH_SECRET of this shell):',
    '    export CUSTOMER=$(npx paysaga token --role customer --subject cust-1)',
    '    export ADMIN=$(npx paysaga token --role admin --subject admin-1)',
    ...checkoutWalkthrough(url),
    `  dead letters: curl -s '${url}/dead-letters?service=order' -H "authorization: Bearer $ADMIN"`,
    'Ctrl-C stops everything gracefully.',
  ].join('\n');
}

/** What `paysaga up` runs (registered in up-command.ts; loaded only when it runs). */
export async function runUp(options: { port: number; basePort: number; gatewayPort: number }): Promise<void> {
  const config = loadConfig();
  if (isEmbedded(config) || config.kafkaBrokers.length === 0 || config.databaseUrl.startsWith('pglite')) {
    throw new Error('paysaga up runs separate processes: set KAFKA_BROKERS and DATABASE_URL (postgres://…); for one process use npm start');
  }
  const secrets = upSecrets(config);
  const { port: frontPort, basePort: base, gatewayPort } = options;
  const ports = servicePorts(base);
  const range = ephemeralPortRange();
  const restarted = [...Object.values(ports), gatewayPort].filter((port) => overlapsEphemeral(port, 1, range));
  // A crashed process is started again on its port; in the ephemeral range an outgoing connection may hold it by then.
  if (restarted.length > 0) console.error(`paysaga up: warning: ports ${restarted.join(', ')} are in the ephemeral range ${range.low}–${range.high}; a restarted process may find its port taken (choose ports below ${range.low})`);
  const stripeNone = { STRIPE_API_KEY: null, STRIPE_WEBHOOK_SECRET: null };
  const processes: Supervised[] = [
    { label: 'gateway', args: ['gateway', '--port', String(gatewayPort), '--webhook-url', `http://127.0.0.1:${ports.payment}/webhooks/stripe`], env: { ...stripeNone, AUTH_SECRET_PREVIOUS: null, STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret }, child: null, quickExits: 0 },
    ...SERVICE_NAMES.map((name): Supervised => ({
      label: name, args: ['serve', name], child: null, quickExits: 0,
      env: {
        PORT: String(ports[name]), AUTH_SECRET: secrets.authSecret,
        ...(name === 'payment' ? { STRIPE_API_BASE: `http://127.0.0.1:${gatewayPort}`, STRIPE_API_KEY: secrets.stripeApiKey, STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret } : stripeNone),
      },
    })),
  ];
  const stopped = new AbortController();
  let frontDoor: FastifyInstance | null = null;
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let stopping = false;
  let exitCode = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  const stopAll = (): void => {
    stopping = true;
    stopped.abort();
    void frontDoor?.close().catch((error: unknown) => { console.error(`[front door] close failed: ${String(error)}`); });
    for (const timer of pendingRestarts) clearTimeout(timer);
    for (const entry of processes) entry.child?.kill('SIGTERM');
    if (processes.every((entry) => entry.child === null)) resolveDone();
  };
  const launch = (entry: Supervised): void => {
    const startedAt = Date.now();
    const child = spawn(process.execPath, [join(import.meta.dirname, 'main.ts'), ...entry.args], { env: childEnvironment(entry.env), stdio: ['ignore', 'pipe', 'pipe'] });
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
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
  const upstreams = SERVICE_NAMES.map((name) => ({ name, url: `http://127.0.0.1:${ports[name]}` }));
  const documents = await documentsOf(upstreams, stopped.signal);
  if (documents) {
    const door = await createFrontDoor({ upstreams, documents });
    frontDoor = door.server;
    const url = await door.server.listen({ port: frontPort, host: config.httpHost });
    if (stopped.signal.aborted) await door.server.close();
    else console.log(banner(url, ports, gatewayPort, door.routes.length));
  }
  await done;
  process.exitCode = exitCode;
}
