import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually } from '../support/env.ts';
import { freePort } from '../support/ports.ts';

const root = join(import.meta.dirname, '..', '..');
type Json = Record<string, unknown>;

/** `paysaga start [--data-dir dir]` until its banner; returns its URL, the customer token it printed, and a graceful stop. */
async function start(args: string[]): Promise<{ url: string; token: string; banner: string; stop: () => Promise<number | null> }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', PORT: String(port), NOTIFICATION_LOG_FILE: '/dev/null' };
  const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['src/cli/main.ts', 'start', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await eventually('the banner', () => {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output}`);
    return output.includes('Ctrl-C stops it gracefully.');
  }, 120_000);
  const token = /export CUSTOMER=(\S+)/.exec(output)?.[1] ?? '';
  return { url: `http://127.0.0.1:${port}`, token, banner: output, stop: () => { child.kill('SIGTERM'); return exited; } };
}

async function call(url: string, token: string, method: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': `k-${Math.random()}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() as Json };
}

test('paysaga start --data-dir keeps embedded mode\'s data across a restart; without it, data is in memory and the banner says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paysaga-data-'));
  try {
    const first = await start(['--data-dir', dir]);
    assert.match(first.banner, new RegExp(`data: +kept in ${dir}`));
    const checkout = await call(`${first.url}/checkout`, first.token, 'POST', {
      restaurantId: 'resto-1', items: [{ productId: 'margherita', name: 'Pizza Margherita', quantity: 2, unitPrice: { amount: 1200, currency: 'USD' } }], deliveryAddress: '1 Main Street',
    });
    assert.equal(checkout.status, 201, JSON.stringify(checkout.body));
    const orderId = String(checkout.body.orderId);
    assert.equal((await call(`${first.url}/payments/${String(checkout.body.paymentId)}/confirm`, first.token, 'POST', { paymentMethod: 'pm_card_visa' })).body.status, 'COMPLETED');
    await eventually('the order CONFIRMED', async () => (await call(`${first.url}/orders/${orderId}`, first.token, 'GET')).body.status === 'CONFIRMED', 60_000);
    assert.equal(await first.stop(), 0);

    const second = await start(['--data-dir', dir]);
    const order = await call(`${second.url}/orders/${orderId}`, second.token, 'GET');
    assert.equal(order.status, 200, 'the order survived the restart');
    assert.equal(order.body.status, 'CONFIRMED');
    assert.equal(await second.stop(), 0);

    const inMemory = await start([]);
    assert.match(inMemory.banner, /data: +in memory: everything is lost on exit/);
    assert.equal((await call(`${inMemory.url}/orders/${orderId}`, inMemory.token, 'GET')).status, 404, 'the default keeps nothing');
    assert.equal(await inMemory.stop(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
