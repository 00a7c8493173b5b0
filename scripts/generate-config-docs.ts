// Writes docs/configuration.md and .env.example from the configuration schema in src/platform/config.ts.
// test/platform/config/config.test.ts fails when the committed files are stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationMarkdown, envExample } from '../src/platform/config-reference.ts';

const root = join(import.meta.dirname, '..');
writeFileSync(join(root, 'docs', 'configuration.md'), configurationMarkdown());
writeFileSync(join(root, '.env.example'), envExample());
console.log('wrote docs/configuration.md and .env.example');
