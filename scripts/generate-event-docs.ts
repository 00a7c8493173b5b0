// Writes docs/asyncapi.json and docs/event-catalogue.md from the schemas in src/contracts.
// test/contracts/event-docs.test.ts fails when the committed files are stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncApiDocument, eventCatalogueMarkdown } from '../src/contracts/asyncapi.ts';

const docs = join(import.meta.dirname, '..', 'docs');
writeFileSync(join(docs, 'asyncapi.json'), `${JSON.stringify(asyncApiDocument(), null, 2)}\n`);
writeFileSync(join(docs, 'event-catalogue.md'), eventCatalogueMarkdown());
console.log('wrote docs/asyncapi.json and docs/event-catalogue.md');
