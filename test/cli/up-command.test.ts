import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { eventually, kafkaBrokers, postgresUrl, testSecrets, uniqueName } from '../support/env.ts';
import { freePort, freePortBlock } from '../support/ports.ts';
import { assertValidExposition } from '../support/promtool.ts';

/** Seven consecutive free ports (six services and the gateway), found by trying a few random bases. */
const root = join(import.meta.dirname, '..', '..');
type Json = Record<string, unknown>;

/** A shell command of the banner, as a user would paste it (`npx paysaga` is bin/paysaga.js). */
function shell(command: string, env: Record<string, string>): string {
  const result = spawnSync('bash', ['-c', command.replaceAll('npx paysaga', `${join(root, 'node_modules', '.bin', 'node')} ${join(root, 'bin', 'paysaga.js')}`)], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, `${command}\n${result.stderr}`);
  return result.stdout;
}

/** The banner's curl commands (continuation lines joined), in order. */
function curlCommands(banner: string): string[] {
  return banner.replaceAll('\\\n', ' ').split('\n').filter((line) => line.includes('curl ')).map((line) => line.slice(line.indexOf('curl ')).replace(/\s+#.*$/, '').trim());
}

/**
 * Every public route of every service answers through the front door as it
 * answers on the service's own port (same status: the front door adds and
 * loses nothing), with placeholder ids.
 */
async function everyRouteThroughFrontDoor(front: string, base: number, token: string): Promise<number> {
  let checked = 0;
  for (const [index, name] of SERVICE_NAMES.entries()) {
    const direct = `http://127.0.0.1:${base + index}`;
    const document = await (await fetch(`${direct}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        const url = path.replace('{service}', name).replace(/\{[^}]+\}/g, 'front-door-probe');
        const init = (): RequestInit => ({ method: method.toUpperCase(), headers: { authorization: `Bearer ${token}`, ...(method === 'get' ? {} : { 'content-type': 'application/json' }) }, ...(method === 'get' ? {} : { body: '{}' }) });
        const [viaDoor, viaService] = await Promise.all([fetch(`${front}${url}`, init()), fetch(`${direct}${url}`, init())]);
        const doorBody = await viaDoor.text();
        await viaService.text();
        assert.notEqual((JSON.parse(doorBody || '{}') as Json).code, 'route_not_found', `${method} ${path} (${name}) through the front door: ${doorBody}`);
        assert.equal(viaDoor.status, viaService.status, `${method} ${path} (${name}): front door ${viaDoor.status} ${doorBody}, service ${viaService.status}`);
        checked += 1;
      }
    }
  }
  return checked;
}

test('paysaga up starts every service as its own process behind one front door whose banner is true, restarts one that dies, and stops them all on SIGTERM', async () => {
  const base = await freePortBlock(SERVICE_NAMES.length + 1);
  const frontPort = await freePort();
  const { AUTH_SECRET } = testSecrets();
  const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['src/cli/main.ts', 'up', '--port', String(frontPort), '--base-port', String(base), '--gateway-port', String(base + SERVICE_NAMES.length)], {
    cwd: root,
    // No Stripe secrets given: up generates them for the payment service and the simulator it starts.
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: uniqueName('up'), AUTH_SECRET, NOTIFICATION_LOG_FILE: '/dev/null', DATABASE_MAX_CONNECTIONS: '4', STRIPE_API_KEY: '', STRIPE_WEBHOOK_SECRET: '' },
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
  }, 300_000).catch((error: unknown) => { throw new Error(`${String(error)}\n${linesOf(name)}`); });
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

    await eventually('the front door banner', () => output.includes('Ctrl-C stops everything gracefully.'), 60_000);
    // The banner is one write; its children's own banners may be relayed before or after it.
    const bannerStart = output.indexOf('paysaga up: front door');
    const banner = output.slice(bannerStart, output.indexOf('Ctrl-C stops everything gracefully.', bannerStart));
    const front = `http://127.0.0.1:${frontPort}`;
    assert.match(banner, new RegExp(`API: +${front} `));
    const dashboardUrl = /dashboard: +(\S+)/.exec(banner)?.[1] ?? '';
    assert.equal(dashboardUrl, `${front}/dashboard/`, 'the banner names the dashboard');
    assert.match(await (await fetch(dashboardUrl)).text(), /<div id="app"|<script/i, 'the dashboard page is served where the banner says');
    // The banner's token commands, run as printed, with the AUTH_SECRET of this shell.
    const tokens = { CUSTOMER: shell('npx paysaga token --role customer --subject cust-1', { AUTH_SECRET }).trim(), ADMIN: shell('npx paysaga token --role admin --subject admin-1', { AUTH_SECRET }).trim() };
    assert.ok((await everyRouteThroughFrontDoor(front, base, tokens.ADMIN)) > 20, 'every public route checked');
    // Every curl of the banner, in order, as printed: a checkout, its payment, the order CONFIRMED, the saga's timeline.
    const [readiness, checkout, payment, confirm, order, saga, deadLetters, ...rest] = curlCommands(banner);
    assert.deepEqual(rest, []);
    assert.equal((JSON.parse(shell(readiness ?? '', tokens)) as Json).status, 'ready');
    const created = JSON.parse(shell(checkout ?? '', tokens)) as Json;
    assert.ok(created.paymentId && created.orderId, JSON.stringify(created));
    const ids = (command: string): string => command.replaceAll('<paymentId>', String(created.paymentId)).replaceAll('<orderId>', String(created.orderId));
    assert.match(String((JSON.parse(shell(ids(payment ?? ''), tokens)) as Json).clientSecret), /_secret_/, 'the paying customer reads the client secret');
    assert.equal((JSON.parse(shell(ids(confirm ?? ''), tokens)) as Json).status, 'COMPLETED');
    await eventually('the order CONFIRMED, read through the front door', () => (JSON.parse(shell(ids(order ?? ''), tokens)) as Json).status === 'CONFIRMED', 60_000);
    assert.equal(typeof (JSON.parse(shell(ids(saga ?? ''), tokens)) as Json).status, 'string', 'the saga and its timeline');
    assert.ok(Array.isArray((JSON.parse(shell(deadLetters ?? '', tokens)) as Json).services), 'the dead letters');

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
  const base = await freePortBlock(SERVICE_NAMES.length + 1);
  const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['src/cli/main.ts', 'up', '--port', String(await freePort()), '--base-port', String(base), '--gateway-port', String(base + SERVICE_NAMES.length)], {
    cwd: root,
    // A database that does not exist: every service fails at start, every time.
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl().replace(/\/[^/]*$/, '/paysaga_no_such_database'), PAYSAGA_NAMESPACE: uniqueName('up'), ...testSecrets(), DATABASE_MAX_CONNECTIONS: '2' },
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
