import { randomBytes, randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { findDefinition, isKnownType } from './catalogue.ts';
import type { EventDefinition } from './define-event.ts';
import { EnvelopeSchema, type Envelope } from './envelope.ts';

const envelopeValidator = Compile(EnvelopeSchema);

export interface MessageContext {
  source: string;
  key: string;
  correlationId: string;
  causationId?: string | null;
  traceparent?: string;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[]) {
    super(`${message}: ${issues.join('; ')}`);
    this.issues = issues;
  }
}

function issuesOf(validator: { Errors(value: unknown): Iterable<{ instancePath: string; message: string }> }, value: unknown): string[] {
  return [...validator.Errors(value)].slice(0, 10).map((error) => `${error.instancePath || '/'} ${error.message}`);
}

/** The active span's W3C traceparent, when tracing records one (OpenTelemetry's API is a no-op without its SDK). */
function activeTraceparent(): { traceId: string; traceparent: string } | null {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return null;
  return { traceId: span.traceId, traceparent: `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}` };
}

/** A message starting a trace: the active span's context if there is one (the HTTP request's), else a fresh trace id. */
export function newTraceparent(): string {
  return activeTraceparent()?.traceparent ?? `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/**
 * A message caused by `parent`: in the same trace, as a child of the active
 * span when that span belongs to this trace (the consume span or saga step
 * that is writing it); otherwise (tracing off, or work done outside the
 * trace, such as a webhook or a reconciler pass) with a new parent id, so the
 * trace id — and with it correlation — always carries on.
 */
export function childTraceparent(parent: string): string {
  const [version, traceId, , flags] = parent.split('-');
  const active = activeTraceparent();
  if (active && active.traceId === traceId) return active.traceparent;
  return `${version}-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
}

/** Builds an envelope and validates its payload: nothing invalid is ever produced. */
export function createEnvelope<P extends TSchema>(definition: EventDefinition<P>, payload: Static<P>, context: MessageContext): Envelope<Static<P>> {
  if (!definition.validator.Check(payload)) {
    throw new ContractViolation(`invalid ${definition.type} v${definition.version} payload`, issuesOf(definition.validator, payload));
  }
  return {
    eventId: randomUUID(),
    type: definition.type,
    version: definition.version,
    occurredAt: new Date().toISOString(),
    source: context.source,
    correlationId: context.correlationId,
    causationId: context.causationId ?? null,
    traceparent: context.traceparent ? childTraceparent(context.traceparent) : newTraceparent(),
    key: context.key,
    payload,
  };
}

/** The context for a message caused by `cause`: same saga, same trace, `cause` as causation. */
export function causedBy(cause: Envelope, source: string): MessageContext {
  return { source, key: cause.key, correlationId: cause.correlationId, causationId: cause.eventId, traceparent: cause.traceparent };
}

export type DecodeFailureReason = 'malformed' | 'unknown-type' | 'unknown-version' | 'invalid-payload';

export type DecodeResult =
  | { ok: true; envelope: Envelope; definition: EventDefinition }
  | { ok: false; reason: DecodeFailureReason; detail: string; eventId: string | null; type: string | null };

/** Parses and validates a consumed message; every failure is a reason, never an exception. */
export function decodeEnvelope(value: Buffer | string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: 'malformed', detail: `not JSON: ${(error as Error).message}`, eventId: null, type: null };
  }
  if (!envelopeValidator.Check(parsed)) {
    const loose = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    return {
      ok: false, reason: 'malformed', detail: `bad envelope: ${issuesOf(envelopeValidator, parsed).join('; ')}`,
      eventId: typeof loose.eventId === 'string' ? loose.eventId : null, type: typeof loose.type === 'string' ? loose.type : null,
    };
  }
  const definition = findDefinition(parsed.type, parsed.version);
  if (!definition) {
    const reason = isKnownType(parsed.type) ? 'unknown-version' : 'unknown-type';
    return { ok: false, reason, detail: `no schema for ${parsed.type} v${parsed.version}`, eventId: parsed.eventId, type: parsed.type };
  }
  if (!definition.validator.Check(parsed.payload)) {
    return {
      ok: false, reason: 'invalid-payload', detail: issuesOf(definition.validator, parsed.payload).join('; '),
      eventId: parsed.eventId, type: parsed.type,
    };
  }
  return { ok: true, envelope: parsed, definition };
}
