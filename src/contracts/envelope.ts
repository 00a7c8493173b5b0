import Type, { type Static } from 'typebox';

/** W3C trace-context `traceparent`: version-traceid-parentid-flags. */
export const TRACEPARENT_PATTERN = '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$';

/** The fields every message carries around its payload (SPEC §2). */
export const EnvelopeFields = {
  eventId: Type.String({ format: 'uuid', description: 'Unique id of this message; the inbox deduplicates on it' }),
  type: Type.String({ minLength: 1, description: 'Event or command type, e.g. PaymentCompleted' }),
  version: Type.Integer({ minimum: 1, description: 'Schema version of the payload' }),
  occurredAt: Type.String({ format: 'date-time' }),
  source: Type.String({ minLength: 1, description: 'Service that produced the message' }),
  correlationId: Type.String({ minLength: 1, description: 'One per saga; carried by every message it causes' }),
  causationId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
    description: 'eventId of the message that caused this one; null for a message started by a request',
  }),
  traceparent: Type.String({ pattern: TRACEPARENT_PATTERN }),
  key: Type.String({ minLength: 1, description: 'Partition key: the orderId' }),
};

/** Envelope with an opaque payload: what is checked before the payload's own schema is known. */
export const EnvelopeSchema = Type.Object({ ...EnvelopeFields, payload: Type.Unknown() }, { additionalProperties: false });
export type RawEnvelope = Static<typeof EnvelopeSchema>;

export interface Envelope<Payload = unknown> extends Omit<RawEnvelope, 'payload'> {
  payload: Payload;
}

