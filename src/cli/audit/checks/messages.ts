import type { Books } from '../books.ts';
import { CheckTally, type CheckResult } from '../report.ts';

/** Every outbox row was published. */
export function checkOutboxPublished(books: Books): CheckResult {
  const tally = new CheckTally();
  for (const row of books.outbox) {
    tally.look();
    if (row.publishedAt === null) tally.violation({ service: row.service, outboxId: row.id, topic: row.topic, eventId: row.eventId ?? '' }, `${row.service} outbox row ${row.id} (${row.eventType ?? 'record'} on ${row.topic}) was never published`);
  }
  return tally.result('outbox-published', 'every outbox row was published');
}

const key = (...parts: string[]): string => parts.join('\u0000');

function countTwice<T>(items: readonly T[], keyOf: (item: T) => string | null): Map<string, T> {
  const seen = new Set<string>();
  const twice = new Map<string, T>();
  for (const item of items) {
    const k = keyOf(item);
    if (k === null) continue;
    if (seen.has(k)) twice.set(k, item);
    seen.add(k);
  }
  return twice;
}

/**
 * Every consumed event applied once. Applied: each event a service published
 * (its outbox) is in the inbox (or the dead letters) of every consumer group
 * that handles its type on its topic — those groups are the ones whose inbox
 * holds any event of that type and topic. Once: the effects keyed by what they
 * apply are not doubled — a saga step succeeds or is compensated at most once,
 * an order and a delivery enter each status at most once.
 */
export function checkEventsAppliedOnce(books: Books): CheckResult {
  const tally = new CheckTally();
  const typeOf = new Map<string, string>();
  for (const row of books.outbox) if (row.eventId !== null && row.eventType !== null) typeOf.set(row.eventId, row.eventType);
  const consumers = new Map<string, Set<string>>();
  const handled = new Set<string>();
  for (const row of books.inbox) {
    handled.add(key(row.service, row.consumerGroup, row.eventId));
    const type = typeOf.get(row.eventId);
    if (type === undefined) continue;
    const groups = consumers.get(key(row.topic, type)) ?? new Set<string>();
    groups.add(key(row.service, row.consumerGroup));
    consumers.set(key(row.topic, type), groups);
  }
  for (const letter of books.deadLetters) if (letter.eventId !== null) handled.add(key(letter.service, letter.consumerGroup, letter.eventId));
  for (const row of books.outbox) {
    if (row.eventId === null || row.eventType === null || row.publishedAt === null) continue;
    for (const group of consumers.get(key(row.topic, row.eventType)) ?? []) {
      tally.look();
      if (handled.has(key(group, row.eventId))) continue;
      const [service = '', consumerGroup = ''] = group.split('\u0000');
      tally.violation({ eventId: row.eventId, producer: row.service, consumer: service, consumerGroup }, `${row.eventType} on ${row.topic} from ${row.service} was never applied by ${consumerGroup} (not in its inbox nor its dead letters)`);
    }
  }
  const stepLog = books.stepLog.filter((entry) => entry.kind === 'succeeded' || entry.kind === 'compensated');
  tally.look(stepLog.length);
  for (const entry of countTwice(stepLog, (e) => key(e.sagaId, e.step, e.kind)).values()) {
    tally.violation({ sagaId: entry.sagaId, step: entry.step }, `step ${entry.step} ${entry.kind} more than once`);
  }
  tally.look(books.orderHistory.length);
  for (const entry of countTwice(books.orderHistory, (e) => key(e.orderId, e.toStatus)).values()) {
    tally.violation({ orderId: entry.orderId }, `order entered ${entry.toStatus} more than once`);
  }
  tally.look(books.deliveryHistory.length);
  for (const entry of countTwice(books.deliveryHistory, (e) => key(e.deliveryId, e.status)).values()) {
    tally.violation({ deliveryId: entry.deliveryId }, `delivery entered ${entry.status} more than once`);
  }
  return tally.result('events-applied-once', 'every consumed event was applied (inbox or dead letter of each consuming group), and no effect twice');
}

/**
 * No dead letter unaccounted for: a pending one is reported (someone must
 * decide); a replayed one was applied since (in its group's inbox); a
 * resolved or discarded one says why (its note).
 */
export function checkDeadLetters(books: Books): CheckResult {
  const tally = new CheckTally();
  const handled = new Set(books.inbox.map((row) => key(row.service, row.consumerGroup, row.eventId)));
  for (const letter of books.deadLetters) {
    tally.look();
    const ids = { service: letter.service, deadLetterId: letter.id, topic: letter.topic, ...(letter.eventId ? { eventId: letter.eventId } : {}) };
    const what = `${letter.service} dead letter ${letter.id} (${letter.reason}, ${letter.eventType ?? 'undecodable'} on ${letter.topic})`;
    if (letter.status === 'pending') tally.violation(ids, `${what} is pending: nobody has replayed, resolved or discarded it`);
    else if (letter.status === 'replayed' && letter.eventId !== null && !handled.has(key(letter.service, letter.consumerGroup, letter.eventId))) tally.violation(ids, `${what} was replayed but never applied`);
    else if ((letter.status === 'resolved' || letter.status === 'discarded') && !letter.note?.trim()) tally.violation(ids, `${what} was ${letter.status} without a note saying why`);
  }
  return tally.result('dead-letters-accounted', 'no dead letter unaccounted for (pending ones are reported)');
}
