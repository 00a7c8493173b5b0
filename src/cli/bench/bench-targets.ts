import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { startChild, waitUntilReady, type ChildProgram } from './child-program.ts';
import { freePort, freePortBlock } from '../ports.ts';
import { SERVICE_NAMES } from '../service-names.ts';
import { servicePorts } from '../up-runner.ts';
import { listenerOf, paysagaRootOf, processTree } from './proc-stats.ts';

/** A system under test, up and answering at `url`. */
export interface StartedTarget {
  system: 'paysaga' | 'seed-style' | 'restate';
  /** How it runs, in a word (the table's): embedded, distributed, url, kafkajs, restate-server. */
  short: string;
  /** How it runs, in a sentence. */
  shape: string;
  url: string;
  authSecret: string;
  /** The processes that are the system (each measured on its own). */
  pids(): number[];
  /** The database whose commits are the system's (pg_stat_database), when it is PostgreSQL. */
  databaseUrl: string | null;
  /** Which Kafka topics are the system's (records per saga), when it uses Kafka. */
  topics: ((topic: string) => boolean) | null;
  /** Where its consumer lag is read (GET /metrics of each process that consumes); empty when none. */
  metricsUrls: string[];
  stop(): Promise<void>;
}

const MAIN = join(import.meta.dirname, '..', 'main.ts');
const QUIET = { LOG_LEVEL: 'warn', NOTIFICATION_LOG_FILE: '/dev/null', OTEL_TRACES_EXPORTER: null, OTEL_EXPORTER_OTLP_ENDPOINT: null } as const;
const secret = (): string => randomBytes(24).toString('hex');

/** `paysaga start` in a child process: in-process transport and PGlite (nothing shared with the machine). */
export async function startEmbedded(): Promise<StartedTarget> {
  const port = await freePort();
  const authSecret = secret();
  const child = startChild('paysaga start', process.execPath, [MAIN, 'start'], {
    ...QUIET, PORT: String(port), AUTH_SECRET: authSecret, KAFKA_BROKERS: null, DATABASE_URL: null, PAYSAGA_NAMESPACE: null, STRIPE_API_BASE: null,
  });
  const url = `http://127.0.0.1:${port}`;
  await readyOrStop(`${url}/health/ready`, child);
  return { system: 'paysaga', short: 'embedded', shape: 'embedded (paysaga start: in-process transport, PGlite)', url, authSecret, pids: () => [child.pid], databaseUrl: null, topics: null, metricsUrls: [url], stop: () => child.stop() };
}

/**
 * `paysaga up` in a child process: every service its own process, on the
 * machine's Kafka and PostgreSQL, in a namespace of its own (topics, groups,
 * schemas) in the database `paysaga_bench`, so its commits and records are
 * counted apart from anything else there.
 */
export async function startDistributed(options: { databaseUrl: string; kafkaBrokers: string[] }): Promise<StartedTarget> {
  const databaseUrl = await ensureDatabase(options.databaseUrl, 'paysaga_bench');
  const namespace = `bench_${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  // paysaga up restarts a service (or the gateway simulator) that dies on its port: a block below the ephemeral range stays free for it.
  const basePort = await freePortBlock(SERVICE_NAMES.length + 1);
  const gatewayPort = basePort + SERVICE_NAMES.length;
  const authSecret = secret();
  const child = startChild('paysaga up', process.execPath, [MAIN, 'up', '--port', String(port), '--base-port', String(basePort), '--gateway-port', String(gatewayPort)], {
    ...QUIET, AUTH_SECRET: authSecret, KAFKA_BROKERS: options.kafkaBrokers.join(','), DATABASE_URL: databaseUrl, PAYSAGA_NAMESPACE: namespace,
    STRIPE_API_KEY: null, STRIPE_WEBHOOK_SECRET: null, STRIPE_API_BASE: null,
  });
  const url = `http://127.0.0.1:${port}`;
  await readyOrStop(`${url}/health/ready`, child, 180_000);
  return {
    system: 'paysaga', short: 'distributed', shape: `distributed (paysaga up, namespace ${namespace})`, url, authSecret, pids: () => processTree(child.pid),
    databaseUrl, topics: (topic) => topic.startsWith(`${namespace}.`), metricsUrls: Object.values(servicePorts(basePort)).map((service) => `http://127.0.0.1:${service}`), stop: () => child.stop(),
  };
}

/** A deployment someone else runs: its processes are found by the port it listens on (and the paysaga processes around it). */
export function atUrl(options: { url: string; authSecret: string; databaseUrl: string | null; namespace: string | null; kafka: boolean; topicNames: readonly string[] }): StartedTarget {
  const port = Number(new URL(options.url).port || 80);
  const listener = listenerOf(port);
  const root = listener === null ? null : paysagaRootOf(listener);
  const prefix = options.namespace ? `${options.namespace}.` : null;
  return {
    system: 'paysaga', short: 'url', shape: `url ${options.url}`, url: options.url, authSecret: options.authSecret,
    pids: () => (root === null ? [] : processTree(root)), databaseUrl: options.databaseUrl,
    topics: options.kafka ? (topic) => (prefix ? topic.startsWith(prefix) : options.topicNames.includes(topic)) : null,
    metricsUrls: [options.url], stop: async () => undefined,
  };
}

async function readyOrStop(url: string, child: ChildProgram, timeoutMs = 120_000): Promise<void> {
  try {
    await waitUntilReady(url, child, timeoutMs);
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** `url` with its database swapped for `name`, created if missing. */
export async function ensureDatabase(url: string, name: string): Promise<string> {
  const target = new URL(url);
  target.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } catch (error) {
        // Two benches creating it at once: the loser finds it made.
        if (!/already exists/.test(error instanceof Error ? error.message : String(error))) throw error;
      }
    }
  } finally {
    await client.end();
  }
  return target.toString();
}
