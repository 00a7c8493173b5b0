// The README's test command: type-check, lint, then every test against a real
// Kafka broker (started here unless KAFKA_BROKERS names one) and the PostgreSQL
// server at DATABASE_URL. Exits non-zero on any failure; never skips a test.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const kafkaScript = join(root, 'scripts', 'kafka.sh');

function run(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs?: number): number {
  console.log(`\n== ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env, ...(timeoutMs ? { timeout: timeoutMs } : {}) });
  if (result.error && timeoutMs && result.signal) {
    console.error(`\nnpm test: ${label} did not finish within ${timeoutMs / 60_000} minutes and was stopped (a test file whose process never exits?)`);
  }
  return result.status ?? 1;
}

function fail(message: string): never {
  console.error(`\nnpm test: ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const probe = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
try {
  await probe.connect();
  await probe.query('select 1');
} catch (error) {
  fail(`PostgreSQL is not reachable at ${databaseUrl} (${(error as Error).message}); start it or set DATABASE_URL`);
} finally {
  await probe.end().catch(() => undefined);
}

if (run('type-check', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root]) !== 0) fail('type-check failed');
if (run('type-check the dashboard', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'dashboard')]) !== 0) fail('the dashboard\'s type-check failed');
if (run('lint', process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '.']) !== 0) fail('lint failed');

let brokers = process.env.KAFKA_BROKERS;
const startedKafka = !brokers;
if (!brokers) {
  if (run('start Kafka (scripts/kafka.sh start)', 'bash', [kafkaScript, 'start']) !== 0) {
    fail('could not start Kafka with scripts/kafka.sh (needs Java 17 and Maven); set KAFKA_BROKERS to use a running broker');
  }
  brokers = '127.0.0.1:9092';
}

// A whole run takes 20–25 minutes on a quiet machine; the watchdog ends one that hangs well before CI's own limit, with what it printed.
const TESTS_WATCHDOG_MS = 65 * 60_000;
const status = run('tests', process.execPath, [
  '--test', '--test-concurrency=2', '--test-timeout=180000', 'test/**/*.test.ts',
], { ...process.env, KAFKA_BROKERS: brokers, DATABASE_URL: databaseUrl, KAFKA_SCRIPT: kafkaScript }, TESTS_WATCHDOG_MS);

if (startedKafka) run('stop Kafka', 'bash', [kafkaScript, 'stop']);
process.exit(status);
