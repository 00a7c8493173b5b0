import type { Kysely } from 'kysely';
import type { Envelope } from '../../contracts/envelope.ts';
import { platformDb } from '../database/platform-tables.ts';
import { envelopeRecord } from '../messaging/envelope-record.ts';
import type { OutgoingRecord } from '../messaging/transport.ts';

export interface OutboxMessage {
  topic: string;
  envelope: Envelope;
}

/**
 * Writes outgoing records into the service's outbox inside the caller's
 * transaction: the state change and its events commit together or not at all.
 */
export async function enqueueRecords(trx: Kysely<unknown>, schema: string, records: readonly (OutgoingRecord & { eventId?: string | null })[]): Promise<void> {
  if (records.length === 0) return;
  await platformDb(trx, schema).insertInto('outbox').values(records.map((record) => ({
    topic: record.topic, key: record.key, value: record.value,
    headers: JSON.stringify(record.headers), event_id: record.eventId ?? null,
  }))).execute();
}

export function enqueueEvents(trx: Kysely<unknown>, schema: string, messages: readonly OutboxMessage[]): Promise<void> {
  return enqueueRecords(trx, schema, messages.map(({ topic, envelope }) => ({ ...envelopeRecord(topic, envelope), eventId: envelope.eventId })));
}
