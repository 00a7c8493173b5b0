import { randomUUID } from 'node:crypto';
import type { Static, TSchema } from 'typebox';
import { createEnvelope, decodeEnvelope } from '../../src/contracts/codec.ts';
import type { EventDefinition } from '../../src/contracts/define-event.ts';
import type { Envelope } from '../../src/contracts/envelope.ts';
import type { Subscription, Transport } from '../../src/platform/messaging/transport.ts';
import { uniqueName } from './env.ts';

type Json = Record<string, unknown>;

/** The fields every saga command carries; tests leave them to these helpers. */
export type CommandFields = 'sagaId' | 'commandId' | 'step';

export interface SentCommand {
  envelope: Envelope;
  commandId: string;
  sagaId: string;
}

export interface HttpAnswer {
  status: number;
  body: Json;
  headers: Headers;
}

/** A saga command as the orchestrator's relay would send it (a fresh saga and command id unless given), keyed by its orderId. */
export function sagaCommand<P extends TSchema>(definition: EventDefinition<P>, payload: Omit<Static<P>, CommandFields>, ref: { sagaId?: string; commandId?: string } = {}): SentCommand {
  const sagaId = ref.sagaId ?? `saga-${randomUUID()}`;
  const commandId = ref.commandId ?? randomUUID();
  const full = { ...payload, sagaId, commandId, step: 'test-step' } as unknown as Static<P>;
  const key = String((payload as unknown as { orderId: string }).orderId);
  return { envelope: createEnvelope(definition, full, { source: 'saga', key, correlationId: sagaId }), commandId, sagaId };
}

/** A JSON request to a test server, with a bearer token when given. */
export async function requestJson(baseUrl: string, method: 'GET' | 'POST', path: string, { token, body, headers = {} }: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) as Json : {}, headers: response.headers };
}

/** Collects every decodable envelope on some topics, through a private consumer group. */
export async function tapEnvelopes(transport: Transport, topics: readonly string[], into: Envelope[]): Promise<Subscription> {
  return transport.subscribe({
    groupId: uniqueName('tap'), topics,
    handler: async (record) => {
      const decoded = decodeEnvelope(record.value);
      if (decoded.ok) into.push(decoded.envelope);
    },
  });
}
