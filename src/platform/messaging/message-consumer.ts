import type { Kysely } from 'kysely';
import type { Static, TSchema } from 'typebox';
import { decodeEnvelope, type DecodeFailureReason } from '../../contracts/codec.ts';
import type { EventDefinition } from '../../contracts/define-event.ts';
import type { Envelope } from '../../contracts/envelope.ts';
import { baseTopicOf, deadLetterTopicOf, retryTopicOf } from '../../contracts/topics.ts';
import { platformDb } from '../database/platform-tables.ts';
import { claimInbox, claimInboxBatch, releaseInboxClaims } from '../inbox/inbox.ts';
import { addLogFields, envelopeFields, incomingMessageFields, withLogFields } from '../observability/log-context.ts';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import { enqueueEvents, enqueueRecords, type OutboxMessage } from '../outbox/outbox.ts';
import { now } from '../utils/clock.ts';
import { sleep } from '../utils/sleep.ts';
import { RetryHeaders } from './headers.ts';
import { DEFAULT_RETRY_POLICY, delayedRetryDelay, type RetryPolicy } from './retry-policy.ts';
import type { IncomingRecord, RecordScope, Subscription, Transport } from './transport.ts';

export interface HandlerContext {
  /** The handler's transaction: its writes, the inbox mark and the outgoing events commit together. */
  trx: Kysely<unknown>;
  record: IncomingRecord;
  /** Queues outgoing events in the same transaction (transactional outbox). */
  publish: (...messages: OutboxMessage[]) => void;
  /** Runs once the transaction committed (e.g. a gateway call the committed row asks for); errors are the callee's to handle. */
  afterCommit: (task: () => void) => void;
}

export type EventHandler<Payload> = (envelope: Envelope<Payload>, context: HandlerContext) => Promise<void>;

/**
 * Runs in the transaction that dead-letters a message its handler could not
 * process, so what it publishes commits with the dead letter (a saga
 * participant answers "could not run this command" instead of leaving the saga
 * waiting for a reply that will never come).
 */
export type DeadLetterHandler<Payload> = (envelope: Envelope<Payload>, context: { trx: Kysely<unknown>; publish: (...messages: OutboxMessage[]) => void }, error: string) => Promise<void> | void;

export interface ConsumerObserver {
  handled?(record: IncomingRecord, envelope: Envelope, durationMs: number): void;
  duplicate?(record: IncomingRecord, envelope: Envelope): void;
  retried?(record: IncomingRecord, attempt: number, error: unknown): void;
  deadLettered?(record: IncomingRecord, reason: string, error: string): void;
}

export interface MessageConsumerOptions {
  groupId: string;
  /** The service schema holding this consumer's inbox, outbox and dead letters. */
  schema: string;
  db: Kysely<unknown>;
  transport: Transport;
  retry?: Partial<RetryPolicy>;
  /** Called after a transaction that wrote outbox rows committed (wakes the relay). */
  onOutboxWrite?: () => void;
  observer?: ConsumerObserver;
  /**
   * Most records of one partition handled in one transaction (one inbox claim, one outbox insert, one commit;
   * default 100; 1 handles each record on its own). A batch that fails is rolled back and its records are
   * handled one by one, so one bad record costs only its own retries.
   */
  maxBatch?: number;
  /**
   * How long one batch may keep going (default 50 ms): past it the batch commits what it handled and the rest
   * come in the next, so a slow handler does not hold its transaction, its locks (and PGlite's one connection)
   * for a whole backlog, and a stop waits for one record, not a batch.
   */
  batchBudgetMs?: number;
  /** Every line it writes about a record carries the record's fields (eventId, type, correlationId, …, consumer group). */
  logger?: Logger;
}

type AnyHandler = (envelope: Envelope, context: HandlerContext) => Promise<void>;

/** A decoded record of a batch with the handler it goes to. */
interface Batched {
  record: IncomingRecord;
  envelope: Envelope;
  handler: AnyHandler;
  /** Its place in the records handed over. */
  position: number;
}

class AbortedWhileWaiting extends Error {}

function errorText(error: unknown): { message: string; stack: string | null } {
  return error instanceof Error ? { message: error.message, stack: error.stack ?? null } : { message: String(error), stack: null };
}

/** An error a handler marks as permanent (`retriable: false`) goes straight to the dead-letter topic. */
function isPermanent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === false;
}

/**
 * Consumes events for one consumer group, at least once, with exactly-once
 * effects: each handler runs in a transaction with the inbox mark and its
 * outgoing events. A failing handler is retried in place, then through the
 * delayed-retry topic with exponential backoff, then dead-lettered (topic and
 * table). A malformed or unknown-version message is dead-lettered at once, so
 * it never blocks its partition.
 */
export class MessageConsumer {
  readonly #options: MessageConsumerOptions;
  readonly #policy: RetryPolicy;
  readonly #logger: Logger;
  readonly #handlers = new Map<string, AnyHandler>();
  readonly #deadLetterHandlers = new Map<string, DeadLetterHandler<unknown>>();
  readonly #topics = new Set<string>();
  readonly #batchBudgetMs: number;
  /**
   * Recent batches' time per handled record (platform clock, moving average; 0 until measured): a batch claims in
   * the inbox only as many records as its budget is expected to fit, and more as it goes. Claiming a whole run up
   * front and giving back what the budget did not reach was 4 of every 5 inbox rows written under load.
   */
  #msPerRecord = 0;
  #subscription: Subscription | null = null;

  constructor(options: MessageConsumerOptions) {
    this.#options = options;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#batchBudgetMs = options.batchBudgetMs ?? 50;
    this.#logger = options.logger ?? fallbackLogger();
  }

  on<P extends TSchema>(definition: EventDefinition<P>, handler: EventHandler<Static<P>>, options: { onDeadLetter?: DeadLetterHandler<Static<P>> } = {}): this {
    this.#handlers.set(definition.type, handler as AnyHandler);
    if (options.onDeadLetter) this.#deadLetterHandlers.set(definition.type, options.onDeadLetter as DeadLetterHandler<unknown>);
    this.#topics.add(definition.topic);
    return this;
  }

  /** Every topic this consumer reads: its event topics and their delayed-retry topics. */
  get topics(): string[] {
    return [...this.#topics].flatMap((topic) => [topic, retryTopicOf(topic)]);
  }

  async start(): Promise<void> {
    this.#subscription = await this.#options.transport.subscribe({
      groupId: this.#options.groupId, topics: this.topics, logger: this.#logger,
      // Every line written while a record is handled — here, in the handler, in the saga engine — carries its fields.
      handler: (record, signal) => this.#processOne(record, signal),
      ...(this.#options.maxBatch === 1 ? {} : {
        batchHandler: (records, signal, scope) => this.#processBatch(records, signal, scope),
        ...(this.#options.maxBatch === undefined ? {} : { maxBatch: this.#options.maxBatch }),
      }),
    });
    this.#logger.info({ consumerGroup: this.#options.groupId, topics: this.topics }, 'consumer started');
  }

  get subscription(): Subscription | null {
    return this.#subscription;
  }

  async stop(timeoutMs?: number): Promise<void> {
    await this.#subscription?.close(timeoutMs === undefined ? {} : { timeoutMs });
    this.#subscription = null;
  }

  #processOne(record: IncomingRecord, signal: AbortSignal): Promise<void> {
    return withLogFields(incomingMessageFields(record, this.#options.groupId), () => this.#process(record, signal));
  }

  /**
   * A run of one partition's records: consecutive records with a handler go through in one transaction; a
   * record that needs its own path (a delayed retry waiting for its time, an undecodable one) is handled on its
   * own, in its place, so the partition's order holds. Resolves with how many leading records were handled: a
   * batch stops early once it has spent its time budget or a stop began, and the rest come again.
   */
  async #processBatch(records: readonly IncomingRecord[], signal: AbortSignal, scope: RecordScope): Promise<number> {
    // The platform's clock, not performance.now(): under the simulation's virtual clock where a batch stops is
    // part of the run, and must replay the same.
    const started = now();
    let run: Batched[] = [];
    const flush = async (): Promise<number | null> => {
      const handled = await this.#handleRun(run, signal, scope, started);
      const stoppedAt = handled < run.length ? run[handled]?.position ?? null : null;
      run = [];
      return stoppedAt;
    };
    for (const [position, record] of records.entries()) {
      const decoded = record.topic.endsWith('.retry') ? null : decodeEnvelope(record.value);
      if (decoded?.ok) {
        const handler = this.#handlers.get(decoded.envelope.type);
        if (handler) run.push({ record, envelope: decoded.envelope, handler, position });
        continue; // without a handler: another type on a shared topic, not this group's business
      }
      const stoppedAt = await flush();
      if (stoppedAt !== null) return stoppedAt;
      if (position > 0 && this.#pastBudget(started, signal)) return position;
      await scope(record, () => this.#processOne(record, signal));
    }
    return (await flush()) ?? records.length;
  }

  /** How many more records a batch claims: all of them until a time per record is known, else what the rest of its budget fits. */
  #claimSize(started: number): number {
    if (this.#msPerRecord <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.ceil((this.#batchBudgetMs - (now() - started)) / this.#msPerRecord));
  }

  #measure(started: number, handled: number): void {
    if (handled <= 0) return;
    const perRecord = (now() - started) / handled;
    this.#msPerRecord = this.#msPerRecord === 0 ? perRecord : 0.8 * this.#msPerRecord + 0.2 * perRecord;
  }

  #pastBudget(started: number, signal: AbortSignal): boolean {
    return signal.aborted || now() - started >= this.#batchBudgetMs;
  }

  /**
   * One transaction for the run; if a handler in it fails, the batch rolls back and is split there: the records
   * before it (which just ran) go again as a batch, the failing one on its own path (its retries, its dead letter),
   * and the rest one by one — bad records come in storms (a poisoned producer, a schema change), and a storm must
   * not cost a rolled-back batch per record. Resolves with how many of the run were handled (at least one).
   */
  async #handleRun(run: readonly Batched[], signal: AbortSignal, scope: RecordScope, started: number): Promise<number> {
    if (run.length === 0) return 0;
    const single = (item: Batched): Promise<void> => scope(item.record, () => this.#processOne(item.record, signal));
    const singles = async (items: readonly Batched[]): Promise<number> => {
      for (const [index, item] of items.entries()) {
        if (index > 0 && this.#pastBudget(started, signal)) return index;
        await single(item);
      }
      return items.length;
    };
    if (run.length === 1) return singles(run);
    const failedAt = { index: -1 };
    try {
      return await this.#runBatch(run, scope, failedAt, signal, started);
    } catch (error) {
      this.#logger.warn({ err: error, consumerGroup: this.#options.groupId, records: run.length, failedAt: failedAt.index },
        'batch failed and rolled back; the records before the failing one go again as a batch, the rest one by one');
    }
    const failing = run[failedAt.index];
    // The claim, the outbox insert or the commit failed, not a handler: each record on its own.
    if (!failing) return singles(run);
    const before = await this.#handleRun(run.slice(0, failedAt.index), signal, scope, started);
    if (before < failedAt.index) return before;
    await single(failing);
    return failedAt.index + 1 + await singles(run.slice(failedAt.index + 1));
  }

  /**
   * Handles the run in one transaction and resolves with how many of it were handled: it stops early (at least one
   * handled) once the time budget is spent or a stop began, and gives the claims of the rest back before committing.
   * If a handler throws, `failedAt.index` says whose it was.
   */
  async #runBatch(run: readonly Batched[], scope: RecordScope, failedAt: { index: number }, signal: AbortSignal, started: number): Promise<number> {
    const { db, schema, groupId, observer } = this.#options;
    const batchStarted = performance.now();
    const outgoing: OutboxMessage[] = [];
    const committed: (() => void)[] = [];
    const handledIn = new Map<Batched, number>();
    let consumed = run.length;
    await db.transaction().execute(async (trx) => {
      outgoing.length = 0;
      committed.length = 0;
      handledIn.clear();
      failedAt.index = -1;
      consumed = run.length;
      const claimed = new Set<string>();
      let claimedUpTo = 0;
      const claimFrom = async (from: number): Promise<void> => {
        const chunk = run.slice(from, from + this.#claimSize(started));
        for (const eventId of await claimInboxBatch(trx, schema, groupId, chunk.map(({ record, envelope }) => ({ eventId: envelope.eventId, topic: baseTopicOf(record.topic) })))) claimed.add(eventId);
        claimedUpTo = from + chunk.length;
      };
      await claimFrom(0);
      const context = (record: IncomingRecord): HandlerContext => ({
        trx, record, publish: (...messages) => { outgoing.push(...messages); }, afterCommit: (task) => { committed.push(task); },
      });
      for (const [index, item] of run.entries()) {
        if (index > 0 && this.#pastBudget(started, signal)) {
          consumed = index;
          break;
        }
        if (index >= claimedUpTo) await claimFrom(index);
        if (!claimed.delete(item.envelope.eventId)) continue; // handled before, or a second copy in this batch
        const handlerStarted = performance.now();
        failedAt.index = index;
        await scope(item.record, () => withLogFields(incomingMessageFields(item.record, groupId), () => {
          addLogFields(envelopeFields(item.envelope));
          return item.handler(item.envelope, context(item.record));
        }));
        handledIn.set(item, performance.now() - handlerStarted);
        failedAt.index = -1;
      }
      // Stopped early: the records not reached are not handled, so their claims must not commit.
      if (claimed.size > 0) await releaseInboxClaims(trx, schema, groupId, [...claimed]);
      // Handlers publish only through `publish`, so one insert at the end keeps their order.
      await enqueueEvents(trx, schema, outgoing);
    });
    if (outgoing.length > 0) this.#options.onOutboxWrite?.();
    for (const task of committed) task();
    this.#measure(started, consumed);
    // Each record's time is its handler's plus its share of what the batch spent around them (claim, insert, commit).
    const shared = handledIn.size === 0 ? 0 : (performance.now() - batchStarted - [...handledIn.values()].reduce((a, b) => a + b, 0)) / handledIn.size;
    const debug = this.#logger.isLevelEnabled('debug');
    for (const item of run.slice(0, consumed)) {
      const handlerMs = handledIn.get(item);
      const fields = debug ? { ...incomingMessageFields(item.record, groupId), ...envelopeFields(item.envelope) } : {};
      if (handlerMs === undefined) {
        if (debug) this.#logger.debug(fields, 'duplicate delivery: already handled, skipped');
        observer?.duplicate?.(item.record, item.envelope);
        continue;
      }
      const durationMs = handlerMs + shared;
      if (debug) this.#logger.debug({ ...fields, durationMs: Math.round(durationMs * 10) / 10, batch: run.length }, 'handled');
      observer?.handled?.(item.record, item.envelope, durationMs);
    }
    return consumed;
  }

  async #process(record: IncomingRecord, signal: AbortSignal): Promise<void> {
    if (record.topic.endsWith('.retry')) await this.#waitUntilDue(record, signal);
    const decoded = decodeEnvelope(record.value);
    if (!decoded.ok) {
      await this.#deadLetter(record, decoded.reason, decoded.detail, null, decoded, this.#attemptOf(record));
      return;
    }
    addLogFields(envelopeFields(decoded.envelope));
    const handler = this.#handlers.get(decoded.envelope.type);
    if (!handler) return; // another type on a shared topic: not this group's business
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#policy.inPlaceAttempts; attempt += 1) {
      try {
        await this.#runHandler(handler, decoded.envelope, record);
        return;
      } catch (error) {
        lastError = error;
        this.#logger.warn({ err: error, attempt, of: this.#policy.inPlaceAttempts, permanent: isPermanent(error) }, 'handler failed');
        if (isPermanent(error) || signal.aborted) break;
        if (attempt < this.#policy.inPlaceAttempts) await sleep(this.#policy.inPlaceDelayMs * attempt, signal);
      }
    }
    if (signal.aborted) throw new AbortedWhileWaiting('stopping: the record will be delivered again');
    await this.#retryLaterOrDeadLetter(record, decoded.envelope, lastError);
  }

  async #runHandler(handler: AnyHandler, envelope: Envelope, record: IncomingRecord): Promise<void> {
    const { db, schema, groupId, observer } = this.#options;
    const started = performance.now();
    const outgoing: OutboxMessage[] = [];
    const committed: (() => void)[] = [];
    const fresh = await db.transaction().execute(async (trx) => {
      if (!(await claimInbox(trx, schema, groupId, envelope.eventId, baseTopicOf(record.topic)))) return false;
      outgoing.length = 0;
      committed.length = 0;
      await handler(envelope, {
        trx, record, publish: (...messages) => { outgoing.push(...messages); }, afterCommit: (task) => { committed.push(task); },
      });
      await enqueueEvents(trx, schema, outgoing);
      return true;
    });
    if (!fresh) {
      this.#logger.debug('duplicate delivery: already handled, skipped');
      observer?.duplicate?.(record, envelope);
      return;
    }
    if (outgoing.length > 0) this.#options.onOutboxWrite?.();
    for (const task of committed) task();
    const durationMs = performance.now() - started;
    this.#logger.debug({ durationMs: Math.round(durationMs * 10) / 10, published: outgoing.length }, 'handled');
    observer?.handled?.(record, envelope, durationMs);
  }

  #attemptOf(record: IncomingRecord): number {
    return Number(record.headers[RetryHeaders.attempt] ?? 0);
  }

  async #waitUntilDue(record: IncomingRecord, signal: AbortSignal): Promise<void> {
    const due = Number(record.headers[RetryHeaders.notBefore] ?? 0);
    const wait = due - now();
    if (wait > 0) await sleep(wait, signal);
    if (signal.aborted) throw new AbortedWhileWaiting('stopping: the retry will be delivered again');
  }

  #originHeaders(record: IncomingRecord): Record<string, string> {
    return {
      [RetryHeaders.originalTopic]: record.headers[RetryHeaders.originalTopic] ?? record.topic,
      [RetryHeaders.originalPartition]: record.headers[RetryHeaders.originalPartition] ?? String(record.partition),
      [RetryHeaders.originalOffset]: record.headers[RetryHeaders.originalOffset] ?? String(record.offset),
    };
  }

  async #retryLaterOrDeadLetter(record: IncomingRecord, envelope: Envelope, error: unknown): Promise<void> {
    const attempt = this.#attemptOf(record) + 1;
    const { message, stack } = errorText(error);
    if (isPermanent(error) || attempt > this.#policy.delayedAttempts) {
      await this.#deadLetter(record, 'handler-failed', message, stack, { eventId: envelope.eventId, type: envelope.type }, attempt - 1, envelope);
      return;
    }
    const headers = {
      ...record.headers, ...this.#originHeaders(record),
      [RetryHeaders.attempt]: String(attempt),
      [RetryHeaders.notBefore]: String(now() + delayedRetryDelay(this.#policy, attempt)),
      [RetryHeaders.error]: message.slice(0, 1_000),
    };
    const topic = retryTopicOf(baseTopicOf(record.topic));
    await this.#options.db.transaction().execute((trx) =>
      enqueueRecords(trx, this.#options.schema, [{ topic, key: record.key, value: record.value, headers, eventId: envelope.eventId }]));
    this.#options.onOutboxWrite?.();
    this.#logger.warn({ err: error, delayedAttempt: attempt, of: this.#policy.delayedAttempts, retryTopic: topic, notBefore: new Date(Number(headers[RetryHeaders.notBefore])).toISOString() },
      'handler failed in place; sent to the retry topic');
    this.#options.observer?.retried?.(record, attempt, error);
  }

  async #deadLetter(
    record: IncomingRecord, reason: DecodeFailureReason | 'handler-failed', error: string, stack: string | null,
    identity: { eventId: string | null; type: string | null }, attempts: number, envelope: Envelope | null = null,
  ): Promise<void> {
    const { db, schema, groupId } = this.#options;
    const origin = this.#originHeaders(record);
    const baseTopic = baseTopicOf(record.topic);
    const headers = { ...record.headers, ...origin, [RetryHeaders.deadLetterReason]: reason, [RetryHeaders.error]: error.slice(0, 1_000) };
    // A poison record's key and the parser's message about it may hold a NUL, which a text column refuses: the dead letter must still be written.
    const key = storableText(record.key);
    const write = async (trx: Kysely<unknown>, text: string): Promise<void> => {
      await platformDb(trx, schema).insertInto('dead_letters').values({
        consumer_group: groupId, topic: baseTopic,
        partition: Number(origin[RetryHeaders.originalPartition]), offset: BigInt(origin[RetryHeaders.originalOffset] ?? record.offset),
        key, event_id: identity.eventId, event_type: identity.type, value: record.value,
        headers: JSON.stringify(record.headers), reason, error: storableText(text), stack: stack === null ? null : storableText(stack), attempts,
      }).execute();
      await enqueueRecords(trx, schema, [{ topic: deadLetterTopicOf(baseTopic), key, value: record.value, headers, eventId: identity.eventId }]);
    };
    const onDeadLetter = envelope ? this.#deadLetterHandlers.get(envelope.type) : undefined;
    try {
      await db.transaction().execute(async (trx) => {
        await write(trx, error);
        if (!envelope || !onDeadLetter) return;
        const outgoing: OutboxMessage[] = [];
        await onDeadLetter(envelope, { trx, publish: (...messages) => { outgoing.push(...messages); } }, error);
        await enqueueEvents(trx, schema, outgoing);
      });
    } catch (failure) {
      if (!onDeadLetter) throw failure;
      // Its answer could not be written: the dead letter still must be (with why), or the record would block its partition.
      await db.transaction().execute((trx) => write(trx, `${error}; answering it failed: ${errorText(failure).message}`));
    }
    this.#options.onOutboxWrite?.();
    this.#logger.error({ reason, error, attempts, deadLetterTopic: deadLetterTopicOf(baseTopic) }, 'dead-lettered');
    this.#options.observer?.deadLettered?.(record, reason, error);
  }
}

/** Text a PostgreSQL text column accepts: NUL written as the escape \u0000, lone surrogates replaced. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\\u0000').toWellFormed();
}
