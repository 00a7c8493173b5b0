import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { asyncApiDocument, eventCatalogueMarkdown } from '../../src/contracts/asyncapi.ts';
import { EVENT_DEFINITIONS } from '../../src/contracts/catalogue.ts';

const docs = join(import.meta.dirname, '..', '..', 'docs');

test('the committed AsyncAPI document and event catalogue match the schemas (run `npm run docs:events`)', () => {
  assert.equal(readFileSync(join(docs, 'asyncapi.json'), 'utf8'), `${JSON.stringify(asyncApiDocument(), null, 2)}\n`);
  assert.equal(readFileSync(join(docs, 'event-catalogue.md'), 'utf8'), eventCatalogueMarkdown());
});

test('the AsyncAPI document has a channel per topic and a message per type and version', () => {
  const document = asyncApiDocument() as { channels: Record<string, unknown>; components: { messages: Record<string, unknown> } };
  assert.equal(Object.keys(document.channels).length, new Set(EVENT_DEFINITIONS.map((definition) => definition.topic)).size);
  assert.equal(Object.keys(document.components.messages).length, EVENT_DEFINITIONS.length);
});
