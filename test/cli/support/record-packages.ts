// Loaded with `node --import` by lean-processes.test.ts: records every npm package the process resolves a module of,
// and writes their names to PAYSAGA_TEST_PACKAGES_FILE when it exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.PAYSAGA_TEST_PACKAGES_FILE;
const packages = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(resolved.url)?.[1];
    if (name) packages.add(name);
    return resolved;
  },
});
if (file) process.on('exit', () => { writeFileSync(file, [...packages].sort().join('\n')); });
