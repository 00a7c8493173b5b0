import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installGracefulShutdown } from '../../src/platform/lifecycle/graceful-shutdown.ts';
import { eventually } from '../support/env.ts';

test('a stop that cannot finish (a handler stuck on a poison message, a retry delay) still ends at SHUTDOWN_TIMEOUT_MS, exit 1, saying why', async () => {
  const exits: number[] = [];
  const lines: string[] = [];
  const stuck = new Promise<void>(() => undefined);
  installGracefulShutdown([{ name: 'finish in-flight handlers', run: () => stuck }], {
    signals: ['SIGWINCH'], timeoutMs: 300, exit: (code) => { exits.push(code); }, log: (line) => { lines.push(line); },
  });
  process.emit('SIGWINCH', 'SIGWINCH');
  await eventually('the bound to end the stop', () => exits.length > 0, 30_000);
  assert.deepEqual(exits, [1]);
  assert.ok(lines.some((line) => /not finished within 300 ms; exiting with the unfinished work uncommitted/.test(line)), lines.join('\n'));
  process.removeAllListeners('SIGWINCH');
});

test('a stop that finishes within the bound exits 0, and the bound does not fire later', async () => {
  const exits: number[] = [];
  installGracefulShutdown([{ name: 'quick', run: () => Promise.resolve() }], { signals: ['SIGWINCH'], timeoutMs: 200, exit: (code) => { exits.push(code); }, log: () => undefined });
  process.emit('SIGWINCH', 'SIGWINCH');
  await eventually('the stop', () => exits.length > 0, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.deepEqual(exits, [0]);
  process.removeAllListeners('SIGWINCH');
});
