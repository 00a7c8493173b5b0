import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { createEnvelope, newTraceparent, type MessageContext } from '../../contracts/codec.ts';
import type { ServiceName } from '../../contracts/define-event.ts';
import type { Envelope } from '../../contracts/envelope.ts';
import type { PayloadOf } from '../../contracts/define-event.ts';
import type { SagaReply } from '../../contracts/events/saga.ts';
import type { OutboxMessage } from '../outbox/outbox.ts';
import type { AfterCommit } from '../outbox/outbox-transaction.ts';
import { childRowsAsJson, rowsFromJson } from '../database/json-rows.ts';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import { inSpan } from '../observability/spans.ts';
import type { SagaCommand, SagaDefinition, SagaStep } from './saga-definition.ts';
import { DEAD_LETTERED, endOfFailure, lateRunCovered, moveOnGiveUp, moveOnTrouble, storableReason, type Trouble, type TroubleLimits } from './saga-moves.ts';
import { sagaDb, type SagaInstancesTable, type SagaStatus, type SagaStepLogTable } from './saga-tables.ts';
import { currentDate, now } from '../utils/clock.ts';

type Row = Selectable<SagaInstancesTable>;
type RowChanges = Partial<Omit<Row, 'id' | 'version' | 'created_at'>>;
type Publish = (...messages: OutboxMessage[]) => void;
/** A step-log entry a save writes with the row (see #save). */
interface LogEntry { step: string; kind: string; detail?: unknown }
type AnyDefinition = SagaDefinition<unknown>;

/** Told of a saga's transitions once they committed (metrics); durations in milliseconds. */
export interface SagaObserver {
  started(type: string): void;
  finished(type: string, outcome: 'completed' | 'compensated' | 'failed', durationMs: number): void;
  /** A step's answer; its duration runs from the step's last change (command sent or resent, wait begun). */
  stepFinished(type: string, step: string, outcome: 'succeeded' | 'failed' | 'timed_out' | 'compensated', durationMs: number): void;
}

export interface SagaEngineOptions {
  schema: string;
  source?: ServiceName;
  /** A command unanswered this long is sent again (participants are idempotent by business key). */
  commandTimeoutMs?: number;
  /** Backoff of retried compensations and past-pivot steps. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Resends of one command after it was dead-lettered or went unanswered; then the saga gives up on the step. */
  maxResends?: number;
  /** Retries of a refused past-pivot step or compensation; then the saga gives up on it. */
  maxRefusalRetries?: number;
  observer?: SagaObserver | null;
  /** Each step-log entry is also a log line (sagaId, sagaType, orderId, step, kind, and the message that caused it). */
  logger?: Logger;
  /** Told once a transaction that changed a saga committed, with a reader of its new state (waiters on a saga, instead of polling its row). */
  onCommitted?: ((sagaId: string, state: () => SagaState) => void) | null;
  /**
   * Runs in the transaction that ends a saga (COMPLETED, COMPENSATED or FAILED), so what it writes or starts commits
   * with the end: work that waited for this saga (a cancellation that came while a checkout was still running).
   */
  onEnded?: ((trx: Kysely<unknown>, publish: Publish, ended: EndedSaga, afterCommit: AfterCommit | undefined) => Promise<void>) | null;
}

/** A saga as it ended, for `onEnded`. */
export interface EndedSaga {
  id: string;
  type: string;
  orderId: string;
  status: 'COMPLETED' | 'COMPENSATED' | 'FAILED';
  data: unknown;
}

/** A saga's status, data and failure, as `peek` reads them. */
export interface SagaState {
  status: SagaStatus;
  data: unknown;
  failureReason: string | null;
}

export interface TimelineEntry {
  step: string;
  kind: string;
  detail: unknown;
  at: string;
}

export interface SagaView {
  id: string;
  type: string;
  orderId: string;
  status: SagaStatus;
  step: string | null;
  data: unknown;
  failureReason: string | null;
  /** Resends or retries of the current command so far (dead-lettered, unanswered or refused). */
  resends: number;
  /** Still running, but its current command had to be sent again: someone may want to look. */
  stuck: boolean;
  deadlineAt: string | null;
  createdAt: string;
  updatedAt: string;
  timeline: TimelineEntry[];
}

const ACTIVE: readonly SagaStatus[] = ['RUNNING', 'COMPENSATING'];

/**
 * Runs orchestrated sagas declared with defineSaga. Everything happens inside
 * the caller's transaction (a consumer's, or the deadline poller's): the saga
 * row (locked, versioned), its step log, and the commands it sends (outbox)
 * commit together, so a crash anywhere replays cleanly. Forward steps run in
 * order; a refusal or a timeout compensates the completed steps in reverse
 * order, each compensation retried until it succeeds.
 */
export class SagaEngine {
  readonly #definitions = new Map<string, AnyDefinition>();
  readonly #options: Required<Omit<SagaEngineOptions, 'logger'>>;
  readonly #logger: Logger;

  /** Each transaction's after-commit hook, so transitions are observed only once they are durable. */
  readonly #afterCommit = new WeakMap<Kysely<unknown>, AfterCommit>();
  /** Each transaction's step-log entries not inserted yet (see #log). */
  readonly #pendingLog = new WeakMap<Kysely<unknown>, Insertable<SagaStepLogTable>[]>();
  readonly #staged = new WeakMap<Row, RowChanges>();

  constructor(definitions: readonly SagaDefinition<never>[], options: SagaEngineOptions) {
    for (const definition of definitions) this.#definitions.set(definition.name, definition as unknown as AnyDefinition);
    const { logger, ...rest } = options;
    this.#options = { source: 'saga', commandTimeoutMs: 60_000, retryInitialMs: 1_000, retryMaxMs: 30_000, maxResends: 3, maxRefusalRetries: 10, observer: null, onCommitted: null, onEnded: null, ...rest };
    this.#logger = logger ?? fallbackLogger();
  }

  get #limits(): TroubleLimits {
    return { maxResends: this.#options.maxResends, maxRefusalRetries: this.#options.maxRefusalRetries };
  }

  #bind(trx: Kysely<unknown>, afterCommit: AfterCommit | undefined): void {
    if (afterCommit) this.#afterCommit.set(trx, afterCommit);
  }

  /** Tells the observer after the commit; a caller without a hook (a test driving the engine) is told at once. */
  #observe(trx: Kysely<unknown>, tell: (observer: SagaObserver) => void): void {
    const observer = this.#options.observer;
    if (!observer) return;
    const afterCommit = this.#afterCommit.get(trx);
    if (afterCommit) afterCommit(() => { tell(observer); });
    else tell(observer);
  }

  #tellCommitted(trx: Kysely<unknown>, row: Row): void {
    const onCommitted = this.#options.onCommitted;
    if (!onCommitted) return;
    const tell = (): void => { onCommitted(row.id, () => ({ status: row.status, data: JSON.parse(row.data) as unknown, failureReason: row.failure_reason })); };
    const afterCommit = this.#afterCommit.get(trx);
    if (afterCommit) afterCommit(tell);
    else tell();
  }

  #stepDone(trx: Kysely<unknown>, row: Row, step: string, outcome: Parameters<SagaObserver['stepFinished']>[2]): void {
    const durationMs = now() - row.updated_at.getTime();
    this.#observe(trx, (observer) => { observer.stepFinished(row.saga_type, step, outcome, durationMs); });
  }

  async #flushLog(trx: Kysely<unknown>): Promise<void> {
    const pending = this.#pendingLog.get(trx);
    if (!pending || pending.length === 0) return;
    this.#pendingLog.delete(trx);
    await this.#db(trx).insertInto('saga_step_log').values(pending).execute();
  }

  /** Runs one engine call in the caller's transaction and writes its step-log entries at its end; a failed call's entries are dropped with its transaction. */
  async #call<T>(trx: Kysely<unknown>, afterCommit: AfterCommit | undefined, work: () => Promise<T>): Promise<T> {
    this.#bind(trx, afterCommit);
    try {
      const result = await work();
      await this.#flushLog(trx);
      return result;
    } catch (error) {
      this.#pendingLog.delete(trx);
      throw error;
    }
  }

  #db(trx: Kysely<unknown>): ReturnType<typeof sagaDb> {
    return sagaDb(trx, this.#options.schema);
  }

  #definition(row: Row): AnyDefinition {
    const definition = this.#definitions.get(row.saga_type);
    if (!definition) throw new Error(`unknown saga type ${row.saga_type}`);
    return definition;
  }

  /**
   * Step-log entries are kept per transaction here and written with the call's next save (in its statement), or
   * when the call ends, or before the log is read: a transition that logs two or three (the reply, the next command)
   * writes them with its row.
   */
  async #log(trx: Kysely<unknown>, row: Pick<Row, 'id' | 'saga_type' | 'order_id'>, step: string, kind: string, detail: unknown = null): Promise<void> {
    const entry = { saga_id: row.id, step, kind, detail: detail === null ? null : JSON.stringify(detail) };
    const pending = this.#pendingLog.get(trx);
    if (pending) pending.push(entry);
    else this.#pendingLog.set(trx, [entry]);
    const level = ['gave-up', 'abandoned', 'compensation-abandoned'].includes(kind) ? 'error'
      : ['failed', 'compensation-failed', 'timeout', 'retry', 'compensated-all'].includes(kind) ? 'warn' : 'info';
    this.#logger[level]({ sagaId: row.id, sagaType: row.saga_type, orderId: row.order_id, step, kind, detail }, `saga ${row.saga_type}: ${step} ${kind}`);
  }

  /**
   * One span per saga step: the handling of a step (its start, a reply, an
   * awaited event, a deadline) runs in a span, and the commands it sends are
   * its children (their traceparent is the active span's).
   */
  #inStep<T>(row: Row, trigger: string, work: () => Promise<T>): Promise<T> {
    const step = this.#definitions.get(row.saga_type)?.steps[row.step_index]?.name ?? 'end';
    return inSpan(`saga ${row.saga_type} ${step}`, {
      attributes: { 'paysaga.saga.id': row.id, 'paysaga.saga.type': row.saga_type, 'paysaga.saga.step': step, 'paysaga.saga.trigger': trigger, 'paysaga.order.id': row.order_id },
    }, work);
  }

  #context(row: Pick<Row, 'id' | 'order_id'>, cause: Envelope | null): MessageContext {
    return {
      source: this.#options.source, key: row.order_id, correlationId: row.id,
      causationId: cause?.eventId ?? null, traceparent: cause?.traceparent ?? newTraceparent(),
    };
  }

  #send(row: Row, step: string, sagaCommand: SagaCommand, cause: Envelope | null, publish: Publish): string {
    const commandId = randomUUID();
    const payload = { ...sagaCommand.payload, sagaId: row.id, commandId, step };
    publish({ topic: sagaCommand.definition.topic, envelope: createEnvelope(sagaCommand.definition, payload as never, this.#context(row, cause)) });
    return commandId;
  }

  /**
   * A row with changes not yet written: the next `#save` of it writes them with its own, so a transition and the
   * step it leads to (a reply's success, then the next command) are one UPDATE instead of two.
   */
  #stage(row: Row, changes: RowChanges): Row {
    const staged: Row = { ...row, ...changes };
    this.#staged.set(staged, { ...this.#staged.get(row), ...changes });
    return staged;
  }

  /** Advances a staged row; whatever the advance did not write (a path that saves nothing) is written after it. */
  async #advanceStaged(trx: Kysely<unknown>, publish: Publish, staged: Row, data: unknown, cause: Envelope | null): Promise<void> {
    await this.#advance(trx, publish, staged, data, cause);
    if (this.#staged.has(staged)) await this.#save(trx, staged, {});
  }

  /**
   * Writes the row's changes (staged ones included) and, in the same statement, the step-log entries this call
   * logged so far — `entry` is the one the save itself makes, built from the row as it will be — so a transition
   * is one statement (`WITH … INSERT` the log, `UPDATE` the row), not an update and then an insert of its log.
   */
  async #save(trx: Kysely<unknown>, row: Row, own: RowChanges, entry?: (saved: Row) => LogEntry): Promise<Row> {
    const changes = { ...this.#staged.get(row), ...own };
    this.#staged.delete(row);
    if (entry) {
      const { step, kind, detail } = entry({ ...row, ...changes });
      await this.#log(trx, row, step, kind, detail);
    }
    const pending = this.#pendingLog.get(trx) ?? [];
    this.#pendingLog.delete(trx);
    const db = this.#db(trx);
    const update = (pending.length > 0 ? db.with('logged', (cte) => cte.insertInto('saga_step_log').values(pending)) : db).updateTable('saga_instances');
    const updated = await update.set({ ...changes, version: row.version + 1, updated_at: currentDate() })
      .where('id', '=', row.id).where('version', '=', row.version).returningAll().executeTakeFirst();
    if (!updated) throw new Error(`saga ${row.id} changed concurrently (version ${row.version}); the message will be retried`);
    this.#tellCommitted(trx, updated);
    return updated;
  }

  #retryDelay(attempts: number): number {
    return Math.min(this.#options.retryMaxMs, this.#options.retryInitialMs * 2 ** Math.min(attempts, 20));
  }

  /**
   * Starts a saga; its first command goes out with the caller's transaction.
   * Idempotent on the saga id: a saga that exists is left as it is (false), so
   * a retried request that derives its saga id finds what the first one started.
   */
  async start<D>(trx: Kysely<unknown>, publish: Publish, definition: SagaDefinition<D>, input: { sagaId: string; orderId: string; data: D; cause?: Envelope | null }, afterCommit?: AfterCommit): Promise<boolean> {
    if (!this.#definitions.has(definition.name)) throw new Error(`saga ${definition.name} is not registered with this engine`);
    return this.#call(trx, afterCommit, async () => {
      const row = await this.#db(trx).insertInto('saga_instances').values({
        id: input.sagaId, saga_type: definition.name, order_id: input.orderId, status: 'RUNNING', step_index: 0,
        awaiting_command_id: null, data: JSON.stringify(input.data), failure_reason: null, deadline_at: null, attempts: 0, version: 0, updated_at: currentDate(), created_at: currentDate(),
      }).onConflict((conflict) => conflict.column('id').doNothing()).returningAll().executeTakeFirst();
      if (!row) return false;
      await this.#log(trx, row, 'start', 'started', null);
      this.#observe(trx, (observer) => { observer.started(definition.name); });
      await this.#inStep(row, 'start', async () => {
        await this.#advance(trx, publish, row, input.data, input.cause ?? null);
      });
      return true;
    });
  }

  async #advance(trx: Kysely<unknown>, publish: Publish, initial: Row, data: unknown, cause: Envelope | null): Promise<void> {
    const definition = this.#definition(initial);
    let row = initial;
    if (row.status === 'RUNNING') {
      for (let index = row.step_index; index < definition.steps.length; index += 1) {
        const step = definition.steps[index] as SagaStep<unknown>;
        if (step.when && !step.when(data)) {
          await this.#log(trx, row, step.name, 'skipped');
          continue;
        }
        if (step.await) {
          const waitMs = typeof step.await.deadlineMs === 'function' ? step.await.deadlineMs(data) : step.await.deadlineMs;
          const events = step.await.events.map((event) => event.type);
          row = await this.#save(trx, row, { step_index: index, awaiting_command_id: null, data: JSON.stringify(data), attempts: 0, deadline_at: new Date(now() + waitMs) },
            (saved) => ({ step: step.name, kind: 'waiting', detail: { events, deadlineAt: saved.deadline_at?.toISOString() } }));
          await this.#replayEarlyEvents(trx, publish, row);
          return;
        }
        const next = step.invoke?.(data) ?? null;
        if (!next) {
          await this.#log(trx, row, step.name, 'skipped');
          continue;
        }
        const commandId = this.#send(row, step.name, next, cause, publish);
        row = await this.#save(trx, row, {
          step_index: index, awaiting_command_id: commandId, data: JSON.stringify(data), attempts: 0,
          deadline_at: new Date(now() + this.#options.commandTimeoutMs),
        }, () => ({ step: step.name, kind: 'command-sent', detail: { command: next.definition.type, commandId } }));
        return;
      }
      row = await this.#save(trx, row, { status: 'COMPLETED', step_index: definition.steps.length, awaiting_command_id: null, deadline_at: null, data: JSON.stringify(data) },
        () => ({ step: 'end', kind: 'completed' }));
      const lifetimeMs = now() - row.created_at.getTime();
      this.#observe(trx, (observer) => { observer.finished(row.saga_type, 'completed', lifetimeMs); });
      for (const extra of definition.onCompleted?.(data) ?? []) this.#send(row, 'completed', extra, cause, publish);
      await this.#ended(trx, publish, row, 'COMPLETED', data);
      return;
    }
    if (row.status === 'COMPENSATING') {
      for (let index = row.step_index; index >= 0; index -= 1) {
        const step = definition.steps[index] as SagaStep<unknown>;
        const undo = step.when && !step.when(data) ? null : step.compensate?.(data) ?? null;
        if (!undo) continue;
        const commandId = this.#send(row, step.name, undo, cause, publish);
        row = await this.#save(trx, row, {
          step_index: index, awaiting_command_id: commandId, data: JSON.stringify(data),
          deadline_at: new Date(now() + this.#options.commandTimeoutMs),
        }, () => ({ step: step.name, kind: 'compensation-sent', detail: { command: undo.definition.type, commandId } }));
        return;
      }
      await this.#flushLog(trx);
      const abandoned = await this.#db(trx).selectFrom('saga_step_log').select('id').where('saga_id', '=', row.id).where('kind', '=', 'compensation-abandoned').execute();
      await this.#end(trx, publish, row, endOfFailure({ sagaHasCompensations: true, abandonedCompensations: abandoned.length }), data, cause);
    }
  }

  /** A failed saga's end: COMPENSATED (everything undone) or FAILED (something could not be, or there was nothing to undo). */
  async #end(trx: Kysely<unknown>, publish: Publish, initial: Row, status: 'COMPENSATED' | 'FAILED', data: unknown, cause: Envelope | null): Promise<void> {
    const definition = this.#definition(initial);
    const row = await this.#save(trx, initial, { status, step_index: -1, awaiting_command_id: null, deadline_at: null, data: JSON.stringify(data) },
      (saved) => ({ step: 'end', kind: status === 'COMPENSATED' ? 'compensated-all' : 'failed', detail: { reason: saved.failure_reason } }));
    const lifetimeMs = now() - row.created_at.getTime();
    this.#observe(trx, (observer) => { observer.finished(row.saga_type, status === 'COMPENSATED' ? 'compensated' : 'failed', lifetimeMs); });
    const notices = status === 'COMPENSATED' ? definition.onCompensated?.(data) : (definition.onFailed ?? definition.onCompensated)?.(data);
    for (const extra of notices ?? []) this.#send(row, status === 'COMPENSATED' ? 'compensated' : 'failed', extra, cause, publish);
    await this.#ended(trx, publish, row, status, data);
  }

  async #ended(trx: Kysely<unknown>, publish: Publish, row: Row, status: EndedSaga['status'], data: unknown): Promise<void> {
    await this.#options.onEnded?.(trx, publish, { id: row.id, type: row.saga_type, orderId: row.order_id, status, data }, this.#afterCommit.get(trx));
  }

  async #lock(trx: Kysely<unknown>, sagaId: string): Promise<Row | undefined> {
    return this.#db(trx).selectFrom('saga_instances').selectAll().where('id', '=', sagaId).forUpdate().executeTakeFirst();
  }

  /**
   * A step failed: compensate what was done before it (and the step itself when
   * the saga gave up on it: its command may still run late). A saga with
   * nothing to compensate ends FAILED at once.
   */
  async #fail(trx: Kysely<unknown>, publish: Publish, row: Row, step: SagaStep<unknown>, data: unknown, reason: string, cause: Envelope | null, includingStep = false): Promise<void> {
    const failedData = step.onFailure?.(data, reason) ?? data;
    const failing = { failure_reason: storableReason(reason), data: JSON.stringify(failedData), attempts: 0 };
    if (!this.#definition(row).steps.some((candidate) => candidate.compensate)) {
      await this.#end(trx, publish, this.#stage(row, failing), endOfFailure({ sagaHasCompensations: false, abandonedCompensations: 0 }), failedData, cause);
      return;
    }
    const compensating = this.#stage(row, {
      ...failing, status: 'COMPENSATING', step_index: includingStep ? row.step_index : row.step_index - 1, awaiting_command_id: null, deadline_at: null,
    });
    await this.#advanceStaged(trx, publish, compensating, failedData, cause);
  }

  /** The current command ran into trouble (refused, dead-lettered, unanswered): resend it, compensate, or give up on it. */
  async #onTrouble(trx: Kysely<unknown>, publish: Publish, row: Row, trouble: Trouble, reason: string, cause: Envelope | null): Promise<void> {
    const step = this.#definition(row).steps[row.step_index] as SagaStep<unknown>;
    const data: unknown = JSON.parse(row.data);
    const phase = row.status === 'RUNNING' ? 'forward' : 'compensation';
    const move = moveOnTrouble({ phase, retryOnRefusal: step.retryOnRefusal === true, attempts: row.attempts, trouble, lateRunCovered: lateRunCovered(phase, step) }, this.#limits);
    if (move.kind === 'compensate') {
      await this.#fail(trx, publish, row, step, data, reason, cause);
      return;
    }
    if (move.kind === 'resend') {
      if (move.after === 'now') {
        await this.#resend(trx, publish, row, step, data);
        return;
      }
      await this.#save(trx, row, { awaiting_command_id: null, attempts: row.attempts + 1, deadline_at: new Date(now() + this.#retryDelay(row.attempts)) },
        (saved) => ({ step: step.name, kind: 'retry', detail: { reason: storableReason(reason), trouble, attempt: saved.attempts } }));
      return;
    }
    const why = `${step.name}: gave up after ${row.attempts + 1} sends (${trouble}): ${reason}`;
    const giveUp = moveOnGiveUp(phase, step.optional === true);
    if (giveUp.kind === 'compensate-including-step') {
      await this.#log(trx, row, step.name, 'gave-up', { reason: storableReason(why) });
      await this.#fail(trx, publish, row, step, data, why, cause, true);
      return;
    }
    await this.#log(trx, row, step.name, giveUp.kind === 'skip-step' ? 'abandoned' : 'compensation-abandoned', { reason: storableReason(why) });
    const moved = this.#stage(row, {
      step_index: row.step_index + (giveUp.kind === 'skip-step' ? 1 : -1), awaiting_command_id: null, deadline_at: null, attempts: 0,
    });
    await this.#advanceStaged(trx, publish, moved, data, cause);
  }

  /**
   * Sends the current command again (a new command id: only its reply counts); idempotent participants make that
   * safe. `counted`: the resend was already counted when it was scheduled (after a refusal or a fault).
   */
  async #resend(trx: Kysely<unknown>, publish: Publish, row: Row, step: SagaStep<unknown>, data: unknown, counted = false): Promise<boolean> {
    const again = row.status === 'RUNNING' ? step.invoke?.(data) : step.compensate?.(data);
    if (!again) return false;
    const commandId = this.#send(row, step.name, again, null, publish);
    await this.#save(trx, row, {
      awaiting_command_id: commandId, attempts: counted ? row.attempts : row.attempts + 1, deadline_at: new Date(now() + this.#options.commandTimeoutMs),
    }, (saved) => ({ step: step.name, kind: row.status === 'RUNNING' ? 'command-resent' : 'compensation-resent', detail: { command: again.definition.type, commandId, attempt: saved.attempts } }));
    return true;
  }

  /** A participant answered. Replies to anything but the command the saga waits for are stale and ignored. */
  async onReply(trx: Kysely<unknown>, publish: Publish, envelope: Envelope<PayloadOf<typeof SagaReply>>, afterCommit?: AfterCommit): Promise<boolean> {
    return this.#call(trx, afterCommit, async () => {
      const reply = envelope.payload;
      const row = await this.#lock(trx, reply.sagaId);
      if (!row || row.awaiting_command_id !== reply.commandId || !ACTIVE.includes(row.status)) return false;
      return this.#inStep(row, envelope.type, () => this.#applyReply(trx, publish, row, envelope));
    });
  }

  async #applyReply(trx: Kysely<unknown>, publish: Publish, row: Row, envelope: Envelope<PayloadOf<typeof SagaReply>>): Promise<boolean> {
    const reply = envelope.payload;
    const definition = this.#definition(row);
    const step = definition.steps[row.step_index] as SagaStep<unknown>;
    const data: unknown = JSON.parse(row.data);
    if (reply.ok && row.status === 'RUNNING') {
      const next = step.onSuccess?.(data, reply.result) ?? data;
      await this.#log(trx, row, step.name, 'succeeded', reply.result);
      this.#stepDone(trx, row, step.name, 'succeeded');
      const moved = this.#stage(row, { step_index: row.step_index + 1, awaiting_command_id: null, deadline_at: null, attempts: 0, data: JSON.stringify(next) });
      await this.#advanceStaged(trx, publish, moved, next, envelope);
      return true;
    }
    if (reply.ok) {
      await this.#log(trx, row, step.name, 'compensated', reply.result);
      this.#stepDone(trx, row, step.name, 'compensated');
      const moved = this.#stage(row, { step_index: row.step_index - 1, awaiting_command_id: null, deadline_at: null, attempts: 0 });
      await this.#advanceStaged(trx, publish, moved, data, envelope);
      return true;
    }
    // A participant that dead-lettered the command says so (participant.ts): a fault, not a refusal.
    const trouble: Trouble = reply.result[DEAD_LETTERED] === true ? 'fault' : 'refused';
    const reason = storableReason(reply.reason ?? `${reply.command} refused`);
    await this.#log(trx, row, step.name, row.status === 'RUNNING' ? 'failed' : 'compensation-failed', { reason, trouble });
    this.#stepDone(trx, row, step.name, 'failed');
    await this.#onTrouble(trx, publish, row, trouble, reason, envelope);
    return true;
  }

  /** A domain event some saga may be waiting for (the payment's outcome); kept if it came early. */
  async onEvent(trx: Kysely<unknown>, publish: Publish, envelope: Envelope, afterCommit?: AfterCommit): Promise<number> {
    return this.#call(trx, afterCommit, async () => {
      const rows = await this.#db(trx).selectFrom('saga_instances').selectAll()
        .where('order_id', '=', envelope.key).where('status', '=', 'RUNNING').orderBy('created_at').forUpdate().execute();
      let handled = 0;
      for (const row of rows) {
        const definition = this.#definition(row);
        const current = definition.steps[row.step_index];
        if (current?.await?.events.some((event) => event.type === envelope.type) && row.awaiting_command_id === null) {
          if (await this.#judge(trx, publish, row, current, envelope)) handled += 1;
          continue;
        }
        // Not there yet: keep it if a later step of this saga waits for this type.
        const later = definition.steps.slice(row.step_index + 1).some((step) => step.await?.events.some((event) => event.type === envelope.type));
        if (later) {
          await this.#db(trx).insertInto('saga_early_events').values({ saga_id: row.id, event_type: envelope.type, envelope: JSON.stringify(envelope) }).execute();
          handled += 1;
        }
      }
      return handled;
    });
  }

  async #judge(trx: Kysely<unknown>, publish: Publish, row: Row, step: SagaStep<unknown>, envelope: Envelope): Promise<boolean> {
    const data: unknown = JSON.parse(row.data);
    const verdict = step.await?.judge(data, envelope) ?? null;
    if (!verdict) return false;
    const next = verdict.data ?? data;
    return this.#inStep(row, envelope.type, async () => {
      await this.#log(trx, row, step.name, verdict.ok ? 'event' : 'failed', { event: envelope.type, eventId: envelope.eventId, ...(verdict.ok ? {} : { reason: verdict.reason }) });
      this.#stepDone(trx, row, step.name, verdict.ok ? 'succeeded' : 'failed');
      if (verdict.ok) {
        const moved = this.#stage(row, { step_index: row.step_index + 1, deadline_at: null, data: JSON.stringify(next) });
        await this.#advanceStaged(trx, publish, moved, next, envelope);
      } else {
        await this.#fail(trx, publish, row, step, next, verdict.reason, envelope);
      }
      return true;
    });
  }

  async #replayEarlyEvents(trx: Kysely<unknown>, publish: Publish, row: Row): Promise<void> {
    const early = await this.#db(trx).selectFrom('saga_early_events').selectAll().where('saga_id', '=', row.id).orderBy('id').execute();
    if (early.length === 0) return;
    const step = this.#definition(row).steps[row.step_index] as SagaStep<unknown>;
    for (const stored of early) {
      if (!step.await?.events.some((event) => event.type === stored.event_type)) continue;
      await this.#db(trx).deleteFrom('saga_early_events').where('id', '=', stored.id).execute();
      if (await this.#judge(trx, publish, row, step, JSON.parse(stored.envelope) as Envelope)) return;
    }
  }

  /** Ids of sagas whose deadline passed (payment wait, command timeout, compensation retry). */
  async dueSagas(db: Kysely<unknown>, limit = 100): Promise<string[]> {
    const rows = await this.#db(db).selectFrom('saga_instances').select('id')
      .where('deadline_at', '<=', currentDate()).where('status', 'in', [...ACTIVE]).orderBy('deadline_at').limit(limit).execute();
    return rows.map((row) => row.id);
  }

  /** Acts on one saga's passed deadline, in the caller's transaction. */
  async fireDeadline(trx: Kysely<unknown>, publish: Publish, sagaId: string, afterCommit?: AfterCommit): Promise<boolean> {
    return this.#call(trx, afterCommit, async () => {
      const row = await this.#lock(trx, sagaId);
      if (!row || !ACTIVE.includes(row.status) || !row.deadline_at || row.deadline_at > currentDate()) return false;
      return this.#inStep(row, 'deadline', () => this.#fireLocked(trx, publish, row));
    });
  }

  async #fireLocked(trx: Kysely<unknown>, publish: Publish, row: Row): Promise<boolean> {
    const definition = this.#definition(row);
    const step = definition.steps[row.step_index] as SagaStep<unknown>;
    const data: unknown = JSON.parse(row.data);
    if (row.status === 'RUNNING' && step.await) {
      await this.#log(trx, row, step.name, 'timeout', { reason: step.await.timeoutReason });
      this.#stepDone(trx, row, step.name, 'timed_out');
      await this.#fail(trx, publish, row, step, data, step.await.timeoutReason, null);
      return true;
    }
    if (row.awaiting_command_id !== null) {
      // Unanswered: resent a bounded number of times, then given up on.
      await this.#log(trx, row, step.name, 'timeout', { commandId: row.awaiting_command_id, attempt: row.attempts });
      this.#stepDone(trx, row, step.name, 'timed_out');
      await this.#onTrouble(trx, publish, row, 'timeout', `no answer within ${this.#options.commandTimeoutMs} ms`, null);
      return true;
    }
    // A retry that was due (after a refusal or a fault): send the command again.
    return this.#resend(trx, publish, row, step, data, true);
  }

  /** Status, data and failure of a saga without its timeline: cheap enough to poll. */
  async peek(db: Kysely<unknown>, sagaId: string): Promise<SagaState | undefined> {
    const row = await this.#db(db).selectFrom('saga_instances').select(['status', 'data', 'failure_reason']).where('id', '=', sagaId).executeTakeFirst();
    return row ? { status: row.status, data: JSON.parse(row.data) as unknown, failureReason: row.failure_reason } : undefined;
  }

  async view(db: Kysely<unknown>, sagaId: string): Promise<SagaView | undefined> {
    // The saga and its timeline in one read.
    const found = await this.#db(db).selectFrom('saga_instances').selectAll('saga_instances')
      .select(childRowsAsJson(`${this.#options.schema}.saga_step_log`, 'saga_id', 'saga_instances.id', ['id']).as('log'))
      .where('saga_instances.id', '=', sagaId).executeTakeFirst();
    if (!found) return undefined;
    const { log: logJson, ...row } = found;
    const log = rowsFromJson<{ step: string; kind: string; detail: string | null; at: Date }>(logJson, ['at']);
    const definition = this.#definitions.get(row.saga_type);
    return {
      id: row.id, type: row.saga_type, orderId: row.order_id, status: row.status,
      step: definition?.steps[row.step_index]?.name ?? null, data: JSON.parse(row.data) as unknown, failureReason: row.failure_reason,
      resends: row.attempts, stuck: ACTIVE.includes(row.status) && row.attempts > 0,
      deadlineAt: row.deadline_at?.toISOString() ?? null, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
      timeline: log.map((entry) => ({ step: entry.step, kind: entry.kind, detail: entry.detail === null ? null : JSON.parse(entry.detail) as unknown, at: entry.at.toISOString() })),
    };
  }

  /** The sagas of an order; `lock` holds their rows until the caller's transaction ends (to decide on them without a race). */
  async sagasOfOrder(db: Kysely<unknown>, orderId: string, options: { lock?: boolean } = {}): Promise<{ id: string; type: string; status: SagaStatus; data: unknown }[]> {
    const query = this.#db(db).selectFrom('saga_instances').select(['id', 'saga_type', 'status', 'data']).where('order_id', '=', orderId).orderBy('created_at');
    const rows = await (options.lock ? query.forUpdate() : query).execute();
    return rows.map((row) => ({ id: row.id, type: row.saga_type, status: row.status, data: JSON.parse(row.data) as unknown }));
  }
}
