import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { eventually, kafkaBrokers, postgresUrl, uniqueName } from '../support/env.ts';
import { portFree } from '../support/ports.ts';
import { assertValidExposition } from '../support/promtool.ts';

/** Seven consecutive free ports (six services and the gateway), found by trying a few random bases. */
async function freeRange(size: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const free = await Promise.all(Array.from({ length: size }, (_, offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

test('paysaga up starts every service as its own process, restarts one that dies, and stops them all on SIGTERM', async () => {
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
  /** One process's own lines, to say why it is not ready. */
  const linesOf = (label: string): string => output.split('\n').filter((line) => line.startsWith(`[${label}]`)).slice(-40).join('\n');
  const readyServices = (port: number, name: string, description: string) => eventually(description, async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
    return response?.status === 200 ? await response.json() as { services: string[] } : undefined;
  }, 120_000).catch((error: unknown) => { throw new Error(`${String(error)}\n${linesOf(name)}`); });
  const pidOf = (label: string): number => {
    const pids = [...output.matchAll(new RegExp(`^\\[${label}\\] pid (\\d+)$`, 'gm'))].map((match) => Number(match[1]));
    const pid = pids.at(-1);
    assert.ok(pid, `up printed the pid of ${label}`);
    return pid;
  };
  try {
    for (const [index, name] of SERVICE_NAMES.entries()) {
      const ready = await readyServices(base + index, name, `${name} on :${base + index}`);
      assert.deepEqual(ready.services, [name], `one service per process on :${base + index}`);
    }
    for (const [index, name] of SERVICE_NAMES.entries()) {
      const metrics = await fetch(`http://127.0.0.1:${base + index}/metrics`);
      assert.equal(metrics.status, 200, `/metrics of ${name}`);
      const text = await metrics.text();
      await assertValidExposition(text, `the ${name} process of paysaga up`);
      assert.match(text, /^# TYPE payment_events_published_total counter$/m, `the seed's names on ${name}`);
      assert.match(text, new RegExp(`^paysaga_consumer_lag\\{group="${name}",`, 'm'), `${name} reports its own consumer's lag (from the admin client)`);
    }
    const gateway = await fetch(`http://127.0.0.1:${base + SERVICE_NAMES.length}/_simulator/stats`);
    assert.equal(gateway.status, 200, 'the gateway simulator runs beside them');
    await assertValidExposition(await (await fetch(`http://127.0.0.1:${base + SERVICE_NAMES.length}/metrics`)).text(), 'the gateway process of paysaga up');

    const victim = SERVICE_NAMES.indexOf('inventory');
    const killedPid = pidOf('inventory');
    process.kill(killedPid, 'SIGKILL');
    await eventually('up to see inventory die and schedule its restart', () => output.includes('[inventory] exited with SIGKILL') && output.includes('[inventory] restarting in 1 s'), 30_000);
    await readyServices(base + victim, 'inventory', 'inventory back after its restart');
    assert.notEqual(pidOf('inventory'), killedPid, 'a new process serves inventory');
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output.slice(-2_000));
  }
  // Seven clean exits, plus the one SIGKILL.
  assert.equal((output.match(/exited with 0/g) ?? []).length, SERVICE_NAMES.length + 1, 'every child stopped cleanly');
});

test('paysaga up gives up on a process that keeps dying at start: everything stops, exit code 1, the cause printed', async () => {
  const root = join(import.meta.dirname, '..', '..');
  const base = await freeRange(SERVICE_NAMES.length + 1);
  const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['src/cli/main.ts', 'up', '--base-port', String(base), '--gateway-port', String(base + SERVICE_NAMES.length)], {
    cwd: root,
    // A database that does not exist: every service fails at start, every time.
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl().replace(/\/[^/]*$/, '/paysaga_no_such_database'), PAYSAGA_NAMESPACE: uniqueName('up'), AUTH_SECRET: 'paysaga-up-test-secret-0123456789abcdefgh', DATABASE_MAX_CONNECTIONS: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(exitCode, 1, output.slice(-2_000));
  assert.match(output, /exited 5 times in a row within 60 s of starting; stopping everything/);
  assert.match(output, /paysaga_no_such_database/, 'the cause is in the output');
  assert.match(output, /\[gateway\] exited with 0/, 'the healthy gateway was stopped gracefully');
});
