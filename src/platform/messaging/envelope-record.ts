import type { Envelope } from '../../contracts/envelope.ts';
import type { OutgoingRecord } from './transport.ts';

/** Kafka headers that mirror envelope fields, so tools (kcat, tracing, the logs of a publish) can read them without parsing the value. */
export function envelopeHeaders(envelope: Envelope): Record<string, string> {
  return {
    'content-type': 'application/json',
    'paysaga-event-id': envelope.eventId,
    'paysaga-type': envelope.type,
    'paysaga-version': String(envelope.version),
    'paysaga-source': envelope.source,
    'paysaga-correlation-id': envelope.correlationId,
    ...(envelope.causationId ? { 'paysaga-causation-id': envelope.causationId } : {}),
    traceparent: envelope.traceparent,
  };
}

/** The record for an envelope: the whole envelope is the value (source of truth), keyed by the order id. */
export function envelopeRecord(topic: string, envelope: Envelope): OutgoingRecord {
  return { topic, key: envelope.key, value: Buffer.from(JSON.stringify(envelope)), headers: envelopeHeaders(envelope) };
}
