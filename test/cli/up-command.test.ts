import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { eventually, kafkaBrokers, postgresUrl, uniqueName } from '../support/env.ts';
import { portFree } from '../support/ports.ts';

/** Seven consecutive free ports (six services and the gateway), found by trying a few random bases. */
async function freeRange(size: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const free = await Promise.all(Array.from({ length: size }, (_, offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

test('paysaga up starts every service as its own process and stops them all on SIGTERM', async () => {
  const root = join(import.meta.dirname, '..', '..');
  const base = await freeRange(SERVICE_NAMES.length + 1);
  const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['src/cli/main.ts', 'up', '--base-port', String(base), '--gateway-port', String(base + SERVICE_NAMES.length)], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: uniqueName('up'), AUTH_SECRET: 'paysaga-up-test-secret-0123456789abcdefgh', NOTIFICATION_LOG_FILE: '/dev/null', DATABASE_MAX_CONNECTIONS: '4' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  try {
    for (const [index, name] of SERVICE_NAMES.entries()) {
      const ready = await eventually(`${name} on :${base + index}`, async () => {
        const response = await fetch(`http://127.0.0.1:${base + index}/health/ready`).catch(() => null);
        return response?.status === 200 ? await response.json() as { services: string[] } : undefined;
      }, 90_000).catch((error: unknown) => { throw new Error(`${String(error)}\n${output.slice(-3_000)}`); });
      assert.deepEqual(ready.services, [name], `one service per process on :${base + index}`);
    }
    const gateway = await fetch(`http://127.0.0.1:${base + SERVICE_NAMES.length}/_simulator/stats`);
    assert.equal(gateway.status, 200, 'the gateway simulator runs beside them');
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output.slice(-2_000));
  }
  assert.equal((output.match(/exited with 0/g) ?? []).length, SERVICE_NAMES.length + 1, 'every child stopped cleanly');
});
