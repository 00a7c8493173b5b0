import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually } from '../support/env.ts';

const root = join(import.meta.dirname, '..', '..');

/** `bin/paysaga.js gateway` (a quick command that stops gracefully on SIGTERM), run as npx would: by a plain node. */
function wrapped(): { wrapper: ChildProcess; output: () => string } {
  const wrapper = spawn(process.execPath, [join(root, 'bin', 'paysaga.js'), 'gateway', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  wrapper.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  wrapper.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return { wrapper, output: () => output };
}

/** The pid of the real CLI process the wrapper started. */
function childOf(pid: number): number {
  const listed = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout.trim();
  const child = Number(listed.split('\n')[0]);
  assert.ok(Number.isSafeInteger(child) && child > 0, `the wrapper ${pid} has a child (ps printed ${JSON.stringify(listed)})`);
  return child;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

test('SIGTERM to bin/paysaga.js reaches the real process: it shuts down gracefully, and the wrapper exits as it did (0)', async () => {
  const { wrapper, output } = wrapped();
  const exited = exitOf(wrapper);
  await eventually('the gateway to listen', () => /listening on http/.test(output()), 30_000);
  const real = childOf(wrapper.pid ?? 0);
  try {
    wrapper.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, output());
    assert.match(output(), /shutdown: SIGTERM received/, 'the real process saw the signal and ran its graceful shutdown');
    await eventually('the real process to be gone', () => !alive(real), 10_000);
  } finally {
    // An orphan (the old wrapper's failure) would keep the test's pipes open.
    if (alive(real)) process.kill(real, 'SIGKILL');
  }
});

test('a real process killed by a signal: the wrapper dies of the same signal', async () => {
  const { wrapper, output } = wrapped();
  const exited = exitOf(wrapper);
  await eventually('the gateway to listen', () => /listening on http/.test(output()), 30_000);
  process.kill(childOf(wrapper.pid ?? 0), 'SIGKILL');
  assert.deepEqual(await exited, { code: null, signal: 'SIGKILL' }, output());
});
