#!/usr/bin/env node
// Runs the CLI on the Node 24 that `npm install` put in node_modules (the `node`
// package), whatever `node` is first on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
const node = existsSync(pinned) ? pinned : process.execPath;
const result = spawnSync(node, [join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
