import type { Kysely } from 'kysely';
import { platformDb } from '../database/platform-tables.ts';

/**
 * Records that a consumer group handled an event, inside the handler's
 * transaction. Returns false when it was already recorded: a redelivery, whose
 * effects are already committed, so the handler must not run again.
 */
export async function claimInbox(trx: Kysely<unknown>, schema: string, consumerGroup: string, eventId: string, topic: string): Promise<boolean> {
  const inserted = await platformDb(trx, schema).insertInto('inbox')
    .values({ consumer_group: consumerGroup, event_id: eventId, topic })
    .onConflict((conflict) => conflict.columns(['consumer_group', 'event_id']).doNothing())
    .returning('event_id').executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Claims a batch's events in one statement, inside the batch's transaction.
 * Returns the event ids claimed now; the others were handled before (or come
 * twice in the batch, whose first copy is the one claimed).
 */
export async function claimInboxBatch(
  trx: Kysely<unknown>, schema: string, consumerGroup: string, claims: readonly { eventId: string; topic: string }[],
): Promise<Set<string>> {
  const unique = [...new Map(claims.map((claim) => [claim.eventId, claim] as const)).values()];
  if (unique.length === 0) return new Set();
  const inserted = await platformDb(trx, schema).insertInto('inbox')
    .values(unique.map(({ eventId, topic }) => ({ consumer_group: consumerGroup, event_id: eventId, topic })))
    .onConflict((conflict) => conflict.columns(['consumer_group', 'event_id']).doNothing())
    .returning('event_id').execute();
  return new Set(inserted.map((row) => row.event_id));
}

/** Gives back claims taken in this transaction for events a batch did not reach (they come again, unhandled). */
export async function releaseInboxClaims(trx: Kysely<unknown>, schema: string, consumerGroup: string, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await platformDb(trx, schema).deleteFrom('inbox').where('consumer_group', '=', consumerGroup).where('event_id', 'in', eventIds).execute();
}
