import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../src/cli/start.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { startTracing, type Tracing } from '../../src/platform/observability/tracing.ts';
import { eventually, kafkaBrokers, postgresUrl, testSecrets, uniqueName } from '../support/env.ts';
import { captureLogs } from '../support/log-capture.ts';
import { MarketplaceClient } from './marketplace-client.ts';

/**
 * Issue 8's bar for traces: one checkout is one trace. An in-memory exporter
 * collects every span of the process; the trace that starts at the
 * `POST /checkout` server span must hold the saga's steps and every message
 * of that saga as it is sent and processed by inventory, payment, order,
 * delivery and notification — propagated through record headers — and the
 * database queries they ran. Once over the in-process transport, once over
 * Kafka and PostgreSQL.
 */
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
before(() => { tracing = startTracing({ serviceName: 'paysaga-trace-test', spanProcessors: [new SimpleSpanProcessor({ exporter })] }); });
after(async () => { await tracing.shutdown(); });

const attribute = (span: ReadableSpan, name: string): unknown => span.attributes[name];

function traceOfCheckout(expectedTopics: readonly string[], topicOf: (span: ReadableSpan) => string, setup: () => { env: NodeJS.ProcessEnv }): void {
  let started: StartedPlatform;
  let client: MarketplaceClient;
  before(async () => {
    const { env } = setup();
    started = await startPlatform({ ...loadConfig(env), httpPort: 0 }, { services: SERVICE_NAMES, installSignals: false, traced: true, logger: captureLogs('warn').logger });
    const url = started.url;
    client = await MarketplaceClient.create({ checkout: url, payment: url, order: url, inventory: url, delivery: url, notification: url }, started.authSecret);
  });
  after(async () => { await started?.stop(); });

  test('a single trace id runs from POST /checkout through the saga, inventory, payment, order, delivery and notification', async () => {
    const checkout = await client.checkout(1);
    assert.equal(checkout.status, 201, checkout.text);
    const sagaId = String(checkout.body.sagaId);
    assert.equal((await client.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
    await client.sagaReaches(sagaId, 'COMPLETED');
    // COMPLETED is written while the last step's reply is processed: wait for that step's span to end.
    const spans = await eventually('the saga\'s spans ended', () => {
      const all = exporter.getFinishedSpans();
      return all.some((span) => attribute(span, 'paysaga.saga.id') === sagaId && attribute(span, 'paysaga.saga.step') === 'notify-customer') ? all : undefined;
    });

    const server = spans.find((span) => span.kind === SpanKind.SERVER && attribute(span, 'http.route') === '/checkout' && attribute(span, 'http.request.method') === 'POST'
      && spans.some((other) => other.spanContext().traceId === span.spanContext().traceId && attribute(other, 'paysaga.saga.id') === sagaId));
    assert.ok(server, 'a server span for POST /checkout in the saga\'s trace');
    const traceId = server.spanContext().traceId;

    const sagaSpans = spans.filter((span) => attribute(span, 'paysaga.saga.id') === sagaId);
    assert.deepEqual([...new Set(sagaSpans.map((span) => span.spanContext().traceId))], [traceId], 'every step of the saga is in the checkout\'s trace');
    const steps = new Set(sagaSpans.map((span) => attribute(span, 'paysaga.saga.step')));
    for (const step of ['create-order', 'reserve-stock', 'create-payment', 'await-payment', 'commit-stock', 'confirm-order', 'create-delivery', 'notify-customer']) assert.ok(steps.has(step), `a span for step ${step}`);

    const messaging = spans.filter((span) => attribute(span, 'messaging.message.conversation_id') === sagaId);
    assert.deepEqual([...new Set(messaging.map((span) => span.spanContext().traceId))], [traceId], 'every message of the saga is sent and processed in the checkout\'s trace');
    const processed = new Set(messaging.filter((span) => span.kind === SpanKind.CONSUMER).map((span) => `${String(attribute(span, 'messaging.consumer.group.name'))} ${topicOf(span)}`));
    for (const expected of expectedTopics) assert.ok(processed.has(expected), `processed in the trace: ${expected} (saw ${[...processed].join(', ')})`);
    assert.ok(messaging.some((span) => span.kind === SpanKind.PRODUCER), 'produce spans');

    // Continuity: each processed message's parent is the span that sent it.
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    for (const consume of messaging.filter((span) => span.kind === SpanKind.CONSUMER && topicOf(span).endsWith('.commands'))) {
      const parent = byId.get(consume.parentSpanContext?.spanId ?? '');
      assert.equal(parent?.kind, SpanKind.PRODUCER, `${consume.name} continues its send span`);
    }
    assert.ok(spans.some((span) => span.spanContext().traceId === traceId && attribute(span, 'db.system.name') === 'postgresql'), 'database spans in the trace');
  });
}

describe('one checkout is one trace: embedded mode (in-process transport, PGlite)', () => {
  traceOfCheckout(
    ['inventory inventory.commands', 'payment payment.commands', 'order order.commands', 'delivery delivery.commands', 'notification notification.commands', 'saga saga.replies', 'saga payment.completed'],
    (span) => String(attribute(span, 'messaging.destination.name')),
    () => ({ env: { NOTIFICATION_LOG_FILE: '/dev/null' } }),
  );
});

describe('one checkout is one trace: on Kafka and PostgreSQL (headers cross the broker)', () => {
  const namespace = uniqueName('trace');
  traceOfCheckout(
    ['inventory inventory.commands', 'payment payment.commands', 'order order.commands', 'delivery delivery.commands', 'notification notification.commands', 'saga saga.replies', 'saga payment.completed'],
    // The transport below the namespace sees wire names; the span is opened above it, on the logical topic.
    (span) => String(attribute(span, 'messaging.destination.name')).replace(`${namespace}.`, ''),
    () => ({ env: { KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: namespace, NOTIFICATION_LOG_FILE: '/dev/null', ...testSecrets() } }),
  );
});
