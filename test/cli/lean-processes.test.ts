import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kafkaBrokers, postgresUrl, testSecrets, uniqueName } from '../support/env.ts';
import { freePort } from '../support/ports.ts';

// What a process loads is what it holds: every package costs resident memory (and start time) in each process of a
// deployment. A command loads what its action needs when it runs (cli-conventions.ts), a service process loads its
// services' code only, and optional machinery (tracing, pretty logs, PGlite, the benchmark's peers) only when used.
const ROOT = join(import.meta.dirname, '..', '..');
const NEVER_IN_A_SERVICE = [
  '@electric-sql/pglite', '@opentelemetry/sdk-node', '@fastify/otel', 'pino-pretty', 'kafkajs', '@restatedev/restate-sdk', '@restatedev/restate-server', 'fast-check', 'playwright-core', 'vite',
];

interface Case {
  name: string;
  /** Arguments of `paysaga` (src/cli/main.ts), or a module to import and nothing else. */
  args: string[] | { module: string };
  /** Ends by itself (true) or runs until its readiness line, then gets SIGTERM. */
  exits: boolean;
  readyLine?: RegExp;
  allowed?: readonly string[];
  forbidden?: readonly string[];
}

async function packagesLoadedBy(entry: Case): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'paysaga-packages-'));
  const file = join(dir, 'packages.txt');
  try {
    const program = Array.isArray(entry.args) ? ['src/cli/main.ts', ...entry.args] : ['--input-type=module', '-e', `await import(${JSON.stringify(join(ROOT, entry.args.module))});`];
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'node'), ['--import', join(ROOT, 'test', 'cli', 'support', 'record-packages.ts'), ...program], {
      cwd: ROOT,
      env: {
        ...process.env, PAYSAGA_TEST_PACKAGES_FILE: file, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: uniqueName('lean'),
        PORT: String(await freePort()), ...testSecrets(), NOTIFICATION_LOG_FILE: '/dev/null', DATABASE_MAX_CONNECTIONS: '2', LOG_LEVEL: 'info',
        OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_ENDPOINT: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stopped = false;
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      // One SIGTERM: a second one would end the graceful stop early.
      if (!stopped && entry.readyLine?.test(output)) {
        stopped = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, `${entry.name} exits cleanly: ${output.slice(-2_000)}`);
    if (!entry.exits) assert.match(output, entry.readyLine ?? /$^/, `${entry.name} got as far as ready`);
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CASES: Case[] = [
  { name: 'paysaga --help', args: ['--help'], exits: true, allowed: ['commander'] },
  { name: 'paysaga bench --help', args: ['bench', '--help'], exits: true, allowed: ['commander'] },
  { name: 'serve payment', args: ['serve', 'payment'], exits: false, readyLine: /paysaga is up/, forbidden: NEVER_IN_A_SERVICE },
  {
    name: 'serve saga order inventory delivery notification', args: ['serve', 'saga', 'order', 'inventory', 'delivery', 'notification'], exits: false, readyLine: /paysaga is up/,
    forbidden: [...NEVER_IN_A_SERVICE, 'stripe'],
  },
  // `paysaga up`'s supervisor and front door: it proxies, it runs no service.
  { name: 'the module of paysaga up', args: { module: 'src/cli/up-runner.ts' }, exits: true, forbidden: [...NEVER_IN_A_SERVICE, 'stripe', 'pg', 'kysely', '@platformatic/kafka', 'prom-client'] },
  { name: 'gateway', args: ['gateway', '--port', '0'], exits: false, readyLine: /listening|gateway simulator/i, forbidden: [...NEVER_IN_A_SERVICE, 'stripe', 'pg', 'kysely', '@platformatic/kafka'] },
];

for (const entry of CASES) {
  test(`${entry.name} loads only what it uses`, async () => {
    const loaded = await packagesLoadedBy(entry);
    assert.ok(loaded.length > 0, 'the recorder saw the process resolve packages');
    if (entry.allowed) assert.deepEqual(loaded.filter((name) => !entry.allowed?.includes(name)), [], `${entry.name} loads only ${entry.allowed.join(', ')}`);
    if (entry.forbidden) assert.deepEqual(loaded.filter((name) => entry.forbidden?.includes(name)), [], `${entry.name} loads none of ${entry.forbidden.join(', ')}`);
  });
}
