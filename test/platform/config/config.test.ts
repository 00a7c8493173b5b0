import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { configurationMarkdown, envExample } from '../../../src/platform/config-reference.ts';
import { ConfigurationError, EnvironmentSchema, loadConfig } from '../../../src/platform/config.ts';

const root = join(import.meta.dirname, '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('no module in src reads the environment but the configuration schema', () => {
  // process.env in any form, and `env.NAME` / `env['NAME']` reads of an environment object passed around.
  const reads = /\bprocess\.env\b|\benv\??\.[A-Z][A-Z0-9_]*\b|\benv\[/;
  const offenders = sourceFiles(join(root, 'src'))
    .filter((file) => relative(root, file) !== join('src', 'platform', 'config.ts'))
    .flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line, index) => [file, index, line] as const))
    .filter(([, , line]) => reads.test(line))
    .map(([file, index, line]) => `${relative(root, file)}:${index + 1}: ${line.trim()}`);
  assert.deepEqual(offenders, [], 'read it through loadConfig() (src/platform/config.ts) instead');
});

test('docs/configuration.md and .env.example match the schema (run `npm run docs:config`)', () => {
  assert.equal(readFileSync(join(root, 'docs', 'configuration.md'), 'utf8'), configurationMarkdown());
  assert.equal(readFileSync(join(root, '.env.example'), 'utf8'), envExample());
  const example = readFileSync(join(root, '.env.example'), 'utf8');
  for (const name of Object.keys(EnvironmentSchema.properties)) assert.match(example, new RegExp(`^# ${name}=`, 'm'), `${name} in .env.example`);
});

test('defaults: embedded mode with nothing set', () => {
  const config = loadConfig({});
  assert.deepEqual(config.kafkaBrokers, []);
  assert.equal(config.databaseUrl, 'pglite://memory');
  assert.equal(config.httpPort, 3000);
  assert.equal(config.httpHost, '127.0.0.1');
  assert.equal(config.shutdownTimeoutMs, 10_000);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.inventory.seedMenu, true);
  assert.deepEqual(config.secrets, { authSecret: null, stripeApiKey: null, stripeWebhookSecret: null, authSecretPrevious: null });
});

test('retention follows the mode: the inbox outlasts what the transport can redeliver, the outbox stays unless nothing could audit it', () => {
  const day = 24 * 3_600_000;
  const retention = (env: Record<string, string>) => {
    const { inboxKeepMs, outboxKeepMs, pglite } = loadConfig(env).retention;
    return { inboxKeepMs, outboxKeepMs, pglite };
  };
  assert.deepEqual(retention({}), { inboxKeepMs: 600_000, outboxKeepMs: 0, pglite: true }, 'embedded, in memory');
  assert.deepEqual(retention({ DATABASE_URL: 'pglite:///tmp/data' }), { inboxKeepMs: 600_000, outboxKeepMs: 3_600_000, pglite: true }, 'embedded, a data directory');
  assert.deepEqual(retention({ KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://db/p' }), { inboxKeepMs: 8 * day, outboxKeepMs: 3_600_000, pglite: false }, 'distributed: longer than Kafka\'s 7 days');
  assert.deepEqual(retention({ KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://db/p', INBOX_RETENTION_MS: String(15 * day), OUTBOX_RETENTION_MS: '0' }), { inboxKeepMs: 15 * day, outboxKeepMs: 0, pglite: false });
  assert.throws(() => loadConfig({ INBOX_RETENTION_MS: '1000' }), /INBOX_RETENTION_MS/);
});

test('values are typed and strict; an empty value is an unset one', () => {
  const config = loadConfig({
    KAFKA_BROKERS: 'a:9092, b:9092', PORT: '0', SEED_MENU: 'false', LOG_LEVEL: 'debug', HTTP_HOST: '0.0.0.0', SHUTDOWN_TIMEOUT_MS: '2500',
    STRIPE_API_BASE: 'http://127.0.0.1:12111/', KAFKA_MIN_INSYNC_REPLICAS: '', SAGA_COMMAND_TIMEOUT_MS: '5000',
  });
  assert.deepEqual(config.kafkaBrokers, ['a:9092', 'b:9092']);
  assert.equal(config.httpPort, 0);
  assert.equal(config.inventory.seedMenu, false);
  assert.equal(config.logLevel, 'debug');
  assert.equal(config.httpHost, '0.0.0.0');
  assert.equal(config.shutdownTimeoutMs, 2_500);
  assert.equal(config.payment.stripeApiBase, 'http://127.0.0.1:12111');
  assert.equal(config.minInsyncReplicas, null);
  assert.equal(config.saga.commandTimeoutMs, 5_000);
});

test('a bad value refuses the start with an error that names the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: '3.5' }, /^PORT must be integer, got "3.5"$/],
    [{ PORT: '70000' }, /^PORT must be <= 65535/],
    [{ DATABASE_MAX_CONNECTIONS: '0' }, /^DATABASE_MAX_CONNECTIONS must be >= 1/],
    [{ SEED_MENU: 'yes' }, /^SEED_MENU must be boolean/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal\|error\|warn\|info\|debug\|trace\|silent, got "loud"$/],
    [{ DATABASE_URL: 'mysql://db' }, /^DATABASE_URL must match/],
    [{ STRIPE_API_BASE: 'not a url' }, /^STRIPE_API_BASE must be an http\(s\) URL/],
    [{ NOTIFICATION_WEBHOOK_URL: 'ftp://x.example/' }, /^NOTIFICATION_WEBHOOK_URL must be an http\(s\) URL/],
    [{ SHUTDOWN_TIMEOUT_MS: 'soon' }, /^SHUTDOWN_TIMEOUT_MS must be integer/],
    [{ PAYSAGA_NAMESPACE: 'a b' }, /^PAYSAGA_NAMESPACE must match/],
  ];
  for (const [env, message] of cases) assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigurationError && message.test(error.message), JSON.stringify(env));
});

test('a refused secret is named, never shown', () => {
  assert.throws(() => loadConfig({ AUTH_SECRET: 'too-short-to-sign-with' }), (error: unknown) => error instanceof Error && /^AUTH_SECRET must not have fewer than 32 characters, got \(hidden\)$/.test(error.message));
});
