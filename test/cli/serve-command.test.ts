import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, kafkaBrokers, postgresUrl, testSecrets, uniqueName } from '../support/env.ts';
import { freePort } from '../support/ports.ts';

test('SIGTERM while paysaga serve is still starting waits for the start to end, then stops it gracefully (exit 0)', async () => {
  const root = join(import.meta.dirname, '..', '..');
  const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['src/cli/main.ts', 'serve', 'all'], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: uniqueName('serve'), PORT: String(await freePort()), ...testSecrets(), SHUTDOWN_TIMEOUT_MS: '300000', NOTIFICATION_LOG_FILE: '/dev/null', DATABASE_MAX_CONNECTIONS: '4' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await eventually('the process to announce it is starting', () => output.includes('paysaga: starting'), 60_000);
  assert.ok(!output.includes('paysaga is up'), 'the signal is sent mid-start');
  child.kill('SIGTERM');
  assert.equal(await exited, 0, output.slice(-3_000));
  assert.match(output, /shutdown: finish starting done/);
  for (const service of ['payment', 'order', 'inventory', 'delivery', 'notification', 'saga']) {
    assert.match(output, new RegExp(`shutdown: stop ${service} done`));
  }
  assert.match(output, /shutdown: close database done/);
});
