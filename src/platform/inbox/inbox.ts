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
