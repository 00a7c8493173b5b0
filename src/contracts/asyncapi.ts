import { EVENT_DEFINITIONS } from './catalogue.ts';
import { producersOf } from './define-event.ts';
import { EnvelopeFields } from './envelope.ts';
import { deadLetterTopicOf, retryTopicOf } from './topics.ts';

/** The AsyncAPI 3.0 document of every paysaga message, generated from the schemas in code. */
export function asyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const definition of EVENT_DEFINITIONS) {
    const messageName = `${definition.type}V${definition.version}`;
    messages[messageName] = {
      name: definition.type,
      title: `${definition.type} v${definition.version}`,
      summary: definition.description,
      contentType: 'application/json',
      payload: {
        type: 'object', additionalProperties: false,
        required: [...Object.keys(EnvelopeFields), 'payload'],
        properties: { ...EnvelopeFields, version: { type: 'integer', const: definition.version }, type: { type: 'string', const: definition.type }, payload: definition.payload },
      },
      bindings: { kafka: { key: { type: 'string', description: 'orderId' } } },
    };
    const channel = (channels[definition.topic] ??= {
      address: definition.topic,
      description: `Partition key: orderId. Delayed retries on ${retryTopicOf(definition.topic)}, dead letters on ${deadLetterTopicOf(definition.topic)}.`,
      messages: {},
    }) as { messages: Record<string, unknown> };
    channel.messages[messageName] = { $ref: `#/components/messages/${messageName}` };
    for (const producer of producersOf(definition)) {
      operations[`${producer}Sends${messageName}`] = {
        action: 'send',
        channel: { $ref: `#/channels/${definition.topic}` },
        messages: [{ $ref: `#/channels/${definition.topic}/messages/${messageName}` }],
        summary: `${producer} publishes ${definition.type} through its outbox`,
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'paysaga events', version: '1.0.0',
      description: 'Every message on paysaga\'s Kafka topics. Generated from src/contracts by `npm run docs:events`; do not edit.',
    },
    defaultContentType: 'application/json',
    channels, operations, components: { messages },
  };
}

/** A readable event catalogue (Markdown) from the same definitions. */
export function eventCatalogueMarkdown(): string {
  const lines = [
    '<!-- Generated from src/contracts by `npm run docs:events`; do not edit. -->',
    '# Event catalogue',
    '',
    'Every message is a JSON envelope (`eventId`, `type`, `version`, `occurredAt`, `source`, `correlationId`, `causationId`, `traceparent`, `key`, `payload`) keyed by `orderId`. Each topic has a delayed-retry topic (`<topic>.retry`) and a dead-letter topic (`<topic>.dlq`). Money is `{ amount, currency }`: integer minor units and an ISO 4217 code. The machine-readable form is [asyncapi.json](asyncapi.json).',
    '',
    '| topic | type | version | producer | description |',
    '|---|---|---|---|---|',
    ...EVENT_DEFINITIONS.map((definition) => `| \`${definition.topic}\` | ${definition.type} | ${definition.version} | ${producersOf(definition).join(', ')} | ${definition.description} |`),
    '',
  ];
  for (const definition of EVENT_DEFINITIONS) {
    lines.push(`## ${definition.type} v${definition.version} — \`${definition.topic}\``, '', definition.description, '', '| field | schema |', '|---|---|');
    const properties = (definition.payload as { properties?: Record<string, unknown> }).properties ?? {};
    const required = new Set((definition.payload as { required?: string[] }).required ?? []);
    for (const [field, schema] of Object.entries(properties)) {
      lines.push(`| \`${field}\`${required.has(field) ? '' : ' (optional)'} | \`${JSON.stringify(schema).replaceAll('|', '\\|')}\` |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
