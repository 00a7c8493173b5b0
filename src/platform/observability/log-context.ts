import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import type { Envelope } from '../../contracts/envelope.ts';
import type { IncomingRecord, OutgoingRecord } from '../messaging/transport.ts';

/** What a log line about a message carries (docs/observability.md, "Logs"). */
export interface MessageLogFields {
  eventId: string | null;
  type: string | null;
  correlationId: string | null;
  causationId: string | null;
  traceparent: string | null;
  topic: string;
  partition?: number;
  offset?: string;
  consumerGroup?: string;
}

const scope = new AsyncLocalStorage<Record<string, unknown>>();

/** The fields of a consumed record, from its headers (what is known before the value is decoded). */
export function incomingMessageFields(record: IncomingRecord, consumerGroup: string): MessageLogFields {
  return {
    ...outgoingMessageFields(record), partition: record.partition, offset: record.offset.toString(), consumerGroup,
  };
}

/** The fields of a record about to be published, from the headers that mirror its envelope. */
export function outgoingMessageFields(record: OutgoingRecord): MessageLogFields {
  const header = (name: string): string | null => record.headers[name] ?? null;
  return {
    eventId: header('paysaga-event-id'), type: header('paysaga-type'), correlationId: header('paysaga-correlation-id'),
    causationId: header('paysaga-causation-id'), traceparent: header('traceparent'), topic: record.topic,
  };
}

/** The authoritative fields once the envelope is decoded. */
export function envelopeFields(envelope: Envelope): Pick<MessageLogFields, 'eventId' | 'type' | 'correlationId' | 'causationId' | 'traceparent'> {
  return { eventId: envelope.eventId, type: envelope.type, correlationId: envelope.correlationId, causationId: envelope.causationId, traceparent: envelope.traceparent };
}

/**
 * Runs `work` with fields every log line written inside it carries (the
 * logger's mixin reads them): a consumer sets a message's fields once and the
 * handler, the saga engine and the database errors below it all log them.
 */
export function withLogFields<T>(fields: object, work: () => T): T {
  return scope.run({ ...scope.getStore(), ...fields }, work);
}

/** Adds fields to the current scope (the decoded envelope's, after the headers'). */
export function addLogFields(fields: object): void {
  const store = scope.getStore();
  if (store) Object.assign(store, fields);
}

/** The pino mixin: the scope's fields, and the active span's ids when tracing records. */
export function logMixin(): Record<string, unknown> {
  const fields = scope.getStore() ?? {};
  const span = trace.getActiveSpan()?.spanContext();
  return span && trace.isSpanContextValid(span) && span.traceFlags & 1 ? { ...fields, traceId: span.traceId, spanId: span.spanId } : { ...fields };
}
