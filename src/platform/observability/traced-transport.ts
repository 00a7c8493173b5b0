import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import type { IncomingRecord, OutgoingRecord, SubscribeOptions, Subscription, Transport } from '../messaging/transport.ts';
import { failSpan, inSpan, tracer } from './spans.ts';

/** The context a record's headers carry (W3C traceparent), or the active one when they carry none. */
function contextOf(headers: Record<string, string>): Context {
  return headers.traceparent ? propagation.extract(ROOT_CONTEXT, headers) : context.active();
}

function messageAttributes(record: OutgoingRecord): Record<string, string> {
  return {
    'messaging.system': 'kafka', 'messaging.destination.name': record.topic, 'messaging.kafka.message.key': record.key,
    ...(record.headers['paysaga-event-id'] ? { 'messaging.message.id': record.headers['paysaga-event-id'] } : {}),
    ...(record.headers['paysaga-correlation-id'] ? { 'messaging.message.conversation_id': record.headers['paysaga-correlation-id'] } : {}),
    ...(record.headers['paysaga-type'] ? { 'paysaga.message.type': record.headers['paysaga-type'] } : {}),
  };
}

/**
 * Produce and consume spans around the transport port, so Kafka and the
 * in-process log are traced alike: a published record gets a `send` span,
 * child of the context its traceparent header names, and the header is
 * rewritten to that span; a consumed record's handler runs in a `process`
 * span continued from the header. With tracing off the spans are no-ops and
 * the headers pass through unchanged.
 */
export class TracedTransport implements Transport {
  readonly #inner: Transport;

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  get kind(): Transport['kind'] {
    return this.#inner.kind;
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    const spans: Span[] = [];
    const traced = records.map((record) => {
      const parent = contextOf(record.headers);
      const span = tracer.startSpan(`send ${record.topic}`, { kind: SpanKind.PRODUCER, attributes: { ...messageAttributes(record), 'messaging.operation.type': 'send' } }, parent);
      spans.push(span);
      const headers = { ...record.headers };
      propagation.inject(trace.setSpan(parent, span), headers);
      return { ...record, headers };
    });
    try {
      await this.#inner.publish(traced);
    } catch (error) {
      for (const span of spans) failSpan(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    const { batchHandler, groupId } = options;
    // One `process` span per record, batch or not: a batch handler runs each record's share in it.
    const processSpan = <T>(record: IncomingRecord, work: () => Promise<T>): Promise<T> => inSpan(`process ${record.topic}`, {
      kind: SpanKind.CONSUMER, parent: contextOf(record.headers),
      attributes: {
        ...messageAttributes(record), 'messaging.operation.type': 'process', 'messaging.consumer.group.name': groupId,
        'messaging.destination.partition.id': String(record.partition), 'messaging.kafka.offset': Number(record.offset),
      },
    }, work);
    return this.#inner.subscribe({
      ...options,
      handler: (record: IncomingRecord, signal) => processSpan(record, () => options.handler(record, signal)),
      ...(batchHandler ? {
        batchHandler: (records, signal, scope) => batchHandler(records, signal, (record, work) => scope(record, () => processSpan(record, work))),
      } : {}),
    });
  }

  ensureTopics: Transport['ensureTopics'] = (specs) => this.#inner.ensureTopics(specs);
  describeTopics: Transport['describeTopics'] = (names) => this.#inner.describeTopics(names);
  lag: Transport['lag'] = (groupId, topics) => this.#inner.lag(groupId, topics);
  ping: Transport['ping'] = () => this.#inner.ping();
  close: Transport['close'] = () => this.#inner.close();
}
