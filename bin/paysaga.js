#!/usr/bin/env node
// Runs the CLI on the Node 24 that `npm install` put in node_modules (the `node`
// package), whatever `node` is first on PATH. This wrapper is what a supervisor
// (systemd, Kubernetes, `npx paysaga`) signals, so it forwards every stop signal
// to the real process and ends the way that process ended: the same exit code,
// or killed by the same signal.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
const node = existsSync(pinned) ? pinned : process.execPath;
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

const child = spawn(node, [join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
const forward = (signal) => { if (child.exitCode === null && child.signalCode === null) child.kill(signal); };
for (const signal of FORWARDED) process.on(signal, forward);

child.once('error', (error) => {
  console.error(`paysaga: cannot run ${node}: ${error.message}`);
  process.exit(1);
});
child.once('exit', (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // Die of the same signal: our handlers go first so the default action (termination) applies.
  for (const forwarded of FORWARDED) process.removeListener(forwarded, forward);
  process.kill(process.pid, signal);
});
