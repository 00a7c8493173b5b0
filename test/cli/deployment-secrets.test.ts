import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeStart, type StartedPlatform } from '../../src/cli/start.ts';
import { deploymentSecrets, DEVELOPMENT_SECRETS, loadConfig } from '../../src/platform/config.ts';
import type { Transport } from '../../src/platform/messaging/transport.ts';
import { testSecrets } from '../support/env.ts';

const root = join(import.meta.dirname, '..', '..');
const DISTRIBUTED = { KAFKA_BROKERS: '127.0.0.1:9', DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' };

/** `paysaga serve <services>` with exactly this environment (no inherited variables): the refusal comes before anything is opened. */
function serve(services: string[], env: Record<string, string>): { status: number | null; output: string } {
  const result = spawnSync(join(root, 'node_modules', '.bin', 'node'), ['src/cli/main.ts', 'serve', ...services], {
    cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('outside embedded mode, paysaga serve refuses to start without each secret, naming it', () => {
  const secrets = testSecrets();
  for (const missing of ['AUTH_SECRET', 'STRIPE_API_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
    const env: Record<string, string> = { ...DISTRIBUTED, ...secrets };
    delete env[missing];
    const { status, output } = serve(['payment'], env);
    assert.equal(status, 1, output);
    assert.match(output, new RegExp(`${missing} is required outside embedded mode`));
  }
});

test('outside embedded mode, the published development values are refused (a webhook signed with whsec_paysaga_local must not be trusted)', () => {
  for (const [name, value] of Object.entries(DEVELOPMENT_SECRETS)) {
    const { status, output } = serve(['payment'], { ...DISTRIBUTED, ...testSecrets(), [name]: value });
    assert.equal(status, 1, output);
    assert.match(output, new RegExp(`${name} is the published development value`));
  }
  // A postgres DATABASE_URL alone (no Kafka) is a deployment too.
  const { status, output } = serve(['order'], { DATABASE_URL: DISTRIBUTED.DATABASE_URL });
  assert.equal(status, 1, output);
  assert.match(output, /AUTH_SECRET is required outside embedded mode/);
});

test('the Stripe secrets are required only where the payment service runs; embedded mode falls back to the development values', () => {
  const { AUTH_SECRET } = testSecrets();
  const distributed = loadConfig({ ...DISTRIBUTED, AUTH_SECRET });
  assert.equal(deploymentSecrets(distributed, { payment: false }).authSecret, AUTH_SECRET);
  assert.throws(() => deploymentSecrets(distributed, { payment: true }), /STRIPE_API_KEY is required/);
  const embedded = deploymentSecrets(loadConfig({}), { payment: true });
  assert.equal(embedded.authSecret, DEVELOPMENT_SECRETS.AUTH_SECRET);
  assert.equal(embedded.stripeWebhookSecret, DEVELOPMENT_SECRETS.STRIPE_WEBHOOK_SECRET);
  assert.equal(embedded.developmentAuth, true);
});

test('only embedded mode prints demo tokens', async () => {
  const started = (embedded: boolean): StartedPlatform => ({
    url: 'http://127.0.0.1:3000', gatewayUrl: '', transportKind: embedded ? 'in-process' : 'kafka', databaseKind: embedded ? 'pglite' : 'postgres',
    services: ['payment', 'order', 'inventory', 'delivery', 'notification', 'saga'], authSecret: testSecrets().AUTH_SECRET, embedded,
    transport: {} as Transport, stop: () => Promise.resolve(), ...({} as Pick<StartedPlatform, 'metrics' | 'http' | 'db'>),
  });
  const jwt = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
  assert.match(await describeStart(started(true), loadConfig({})), jwt);
  const distributed = await describeStart(started(false), loadConfig(DISTRIBUTED));
  assert.doesNotMatch(distributed, jwt);
  assert.match(distributed, /npx paysaga token --role customer/);
});
