import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { createEnvelope, newTraceparent, type MessageContext } from '../../contracts/codec.ts';
import type { ServiceName } from '../../contracts/define-event.ts';
import type { Envelope } from '../../contracts/envelope.ts';
import type { PayloadOf } from '../../contracts/define-event.ts';
import type { SagaReply } from '../../contracts/events/saga.ts';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import { inSpan } from '../observability/spans.ts';
import type { OutboxMessage } from '../outbox/outbox.ts';
import type { SagaCommand, SagaDefinition, SagaStep } from './saga-definition.ts';
import { sagaDb, type SagaInstancesTable, type SagaStatus } from './saga-tables.ts';

type Row = Selectable<SagaInstancesTable>;
type Publish = (...messages: OutboxMessage[]) => void;
type AnyDefinition = SagaDefinition<unknown>;

export interface SagaEngineOptions {
  schema: string;
  source?: ServiceName;
  /** A command unanswered this long is sent again (participants are idempotent by business key). */
  commandTimeoutMs?: number;
  /** Backoff of retried compensations and past-pivot steps. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Each step-log entry is also a log line (sagaId, sagaType, orderId, step, kind, and the message that caused it). */
  logger?: Logger;
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

  constructor(definitions: readonly SagaDefinition<never>[], options: SagaEngineOptions) {
    for (const definition of definitions) this.#definitions.set(definition.name, definition as unknown as AnyDefinition);
    const { logger, ...rest } = options;
    this.#options = { source: 'saga', commandTimeoutMs: 60_000, retryInitialMs: 1_000, retryMaxMs: 30_000, ...rest };
    this.#logger = logger ?? fallbackLogger();
  }

  #db(trx: Kysely<unknown>): ReturnType<typeof sagaDb> {
    return sagaDb(trx, this.#options.schema);
  }

  #definition(row: Row): AnyDefinition {
    const definition = this.#definitions.get(row.saga_type);
    if (!definition) throw new Error(`unknown saga type ${row.saga_type}`);
    return definition;
  }

  async #log(trx: Kysely<unknown>, row: Pick<Row, 'id' | 'saga_type' | 'order_id'>, step: string, kind: string, detail: unknown = null): Promise<void> {
    await this.#db(trx).insertInto('saga_step_log').values({ saga_id: row.id, step, kind, detail: detail === null ? null : JSON.stringify(detail) }).execute();
    const level = kind === 'failed' || kind === 'timeout' || kind === 'retry' || kind === 'compensated-all' ? 'warn' : 'info';
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

  async #save(trx: Kysely<unknown>, row: Row, changes: Partial<Omit<Row, 'id' | 'version' | 'created_at'>>): Promise<Row> {
    const updated = await this.#db(trx).updateTable('saga_instances').set({ ...changes, version: row.version + 1, updated_at: new Date() })
      .where('id', '=', row.id).where('version', '=', row.version).returningAll().executeTakeFirst();
    if (!updated) throw new Error(`saga ${row.id} changed concurrently (version ${row.version}); the message will be retried`);
    return updated;
  }

  #retryDelay(attempts: number): number {
    return Math.min(this.#options.retryMaxMs, this.#options.retryInitialMs * 2 ** Math.min(attempts, 20));
  }

  /** Starts a saga; its first command goes out with the caller's transaction. */
  async start<D>(trx: Kysely<unknown>, publish: Publish, definition: SagaDefinition<D>, input: { sagaId: string; orderId: string; data: D; cause?: Envelope | null }): Promise<void> {
    if (!this.#definitions.has(definition.name)) throw new Error(`saga ${definition.name} is not registered with this engine`);
    const row = await this.#db(trx).insertInto('saga_instances').values({
      id: input.sagaId, saga_type: definition.name, order_id: input.orderId, status: 'RUNNING', step_index: 0,
      awaiting_command_id: null, data: JSON.stringify(input.data), failure_reason: null, deadline_at: null, attempts: 0, version: 0, updated_at: new Date(),
    }).returningAll().executeTakeFirstOrThrow();
    await this.#inStep(row, 'start', async () => {
      await this.#log(trx, row, 'start', 'started', null);
      await this.#advance(trx, publish, row, input.data, input.cause ?? null);
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
          row = await this.#save(trx, row, { step_index: index, awaiting_command_id: null, data: JSON.stringify(data), attempts: 0, deadline_at: new Date(Date.now() + waitMs) });
          await this.#log(trx, row, step.name, 'waiting', { events: step.await.events.map((event) => event.type), deadlineAt: row.deadline_at?.toISOString() });
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
          deadline_at: new Date(Date.now() + this.#options.commandTimeoutMs),
        });
        await this.#log(trx, row, step.name, 'command-sent', { command: next.definition.type, commandId });
        return;
      }
      row = await this.#save(trx, row, { status: 'COMPLETED', step_index: definition.steps.length, awaiting_command_id: null, deadline_at: null, data: JSON.stringify(data) });
      await this.#log(trx, row, 'end', 'completed');
      for (const extra of definition.onCompleted?.(data) ?? []) this.#send(row, 'completed', extra, cause, publish);
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
          deadline_at: new Date(Date.now() + this.#options.commandTimeoutMs),
        });
        await this.#log(trx, row, step.name, 'compensation-sent', { command: undo.definition.type, commandId });
        return;
      }
      row = await this.#save(trx, row, { status: 'COMPENSATED', step_index: -1, awaiting_command_id: null, deadline_at: null, data: JSON.stringify(data) });
      await this.#log(trx, row, 'end', 'compensated-all', { reason: row.failure_reason });
      for (const extra of definition.onCompensated?.(data) ?? []) this.#send(row, 'compensated', extra, cause, publish);
    }
  }

  async #lock(trx: Kysely<unknown>, sagaId: string): Promise<Row | undefined> {
    return this.#db(trx).selectFrom('saga_instances').selectAll().where('id', '=', sagaId).forUpdate().executeTakeFirst();
  }

  /** A step failed: compensate what was done before it (or retry, past the pivot). */
  async #fail(trx: Kysely<unknown>, publish: Publish, row: Row, step: SagaStep<unknown>, data: unknown, reason: string, cause: Envelope | null): Promise<void> {
    if (step.retryOnRefusal) {
      const saved = await this.#save(trx, row, { awaiting_command_id: null, attempts: row.attempts + 1, deadline_at: new Date(Date.now() + this.#retryDelay(row.attempts)) });
      await this.#log(trx, saved, step.name, 'retry', { reason, attempt: saved.attempts });
      return;
    }
    const failedData = step.onFailure?.(data, reason) ?? data;
    const compensating = await this.#save(trx, row, {
      status: 'COMPENSATING', step_index: row.step_index - 1, awaiting_command_id: null, deadline_at: null,
      failure_reason: reason, data: JSON.stringify(failedData), attempts: 0,
    });
    await this.#advance(trx, publish, compensating, failedData, cause);
  }

  /** A participant answered. Replies to anything but the command the saga waits for are stale and ignored. */
  async onReply(trx: Kysely<unknown>, publish: Publish, envelope: Envelope<PayloadOf<typeof SagaReply>>): Promise<boolean> {
    const reply = envelope.payload;
    const row = await this.#lock(trx, reply.sagaId);
    if (!row || row.awaiting_command_id !== reply.commandId || !ACTIVE.includes(row.status)) return false;
    return this.#inStep(row, envelope.type, () => this.#applyReply(trx, publish, row, envelope));
  }

  async #applyReply(trx: Kysely<unknown>, publish: Publish, row: Row, envelope: Envelope<PayloadOf<typeof SagaReply>>): Promise<boolean> {
    const reply = envelope.payload;
    const definition = this.#definition(row);
    const step = definition.steps[row.step_index] as SagaStep<unknown>;
    const data: unknown = JSON.parse(row.data);
    if (row.status === 'RUNNING') {
      if (reply.ok) {
        const next = step.onSuccess?.(data, reply.result) ?? data;
        await this.#log(trx, row, step.name, 'succeeded', reply.result);
        const moved = await this.#save(trx, row, { step_index: row.step_index + 1, awaiting_command_id: null, deadline_at: null, data: JSON.stringify(next) });
        await this.#advance(trx, publish, moved, next, envelope);
        return true;
      }
      await this.#log(trx, row, step.name, 'failed', { reason: reply.reason });
      await this.#fail(trx, publish, row, step, data, reply.reason ?? `${reply.command} refused`, envelope);
      return true;
    }
    if (reply.ok) {
      await this.#log(trx, row, step.name, 'compensated', reply.result);
      const moved = await this.#save(trx, row, { step_index: row.step_index - 1, awaiting_command_id: null, deadline_at: null, attempts: 0 });
      await this.#advance(trx, publish, moved, data, envelope);
      return true;
    }
    // A compensation must succeed: try again later.
    const saved = await this.#save(trx, row, { awaiting_command_id: null, attempts: row.attempts + 1, deadline_at: new Date(Date.now() + this.#retryDelay(row.attempts)) });
    await this.#log(trx, saved, step.name, 'retry', { reason: reply.reason, attempt: saved.attempts });
    return true;
  }

  /** A domain event some saga may be waiting for (the payment's outcome); kept if it came early. */
  async onEvent(trx: Kysely<unknown>, publish: Publish, envelope: Envelope): Promise<number> {
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
  }

  async #judge(trx: Kysely<unknown>, publish: Publish, row: Row, step: SagaStep<unknown>, envelope: Envelope): Promise<boolean> {
    const data: unknown = JSON.parse(row.data);
    const verdict = step.await?.judge(data, envelope) ?? null;
    if (!verdict) return false;
    const next = verdict.data ?? data;
    return this.#inStep(row, envelope.type, async () => {
      await this.#log(trx, row, step.name, verdict.ok ? 'event' : 'failed', { event: envelope.type, eventId: envelope.eventId, ...(verdict.ok ? {} : { reason: verdict.reason }) });
      if (verdict.ok) {
        const moved = await this.#save(trx, row, { step_index: row.step_index + 1, deadline_at: null, data: JSON.stringify(next) });
        await this.#advance(trx, publish, moved, next, envelope);
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
      .where('deadline_at', '<=', new Date()).where('status', 'in', [...ACTIVE]).orderBy('deadline_at').limit(limit).execute();
    return rows.map((row) => row.id);
  }

  /** Acts on one saga's passed deadline, in the caller's transaction. */
  async fireDeadline(trx: Kysely<unknown>, publish: Publish, sagaId: string): Promise<boolean> {
    const row = await this.#lock(trx, sagaId);
    if (!row || !ACTIVE.includes(row.status) || !row.deadline_at || row.deadline_at > new Date()) return false;
    return this.#inStep(row, 'deadline', () => this.#fireLocked(trx, publish, row));
  }

  async #fireLocked(trx: Kysely<unknown>, publish: Publish, row: Row): Promise<boolean> {
    const definition = this.#definition(row);
    const step = definition.steps[row.step_index] as SagaStep<unknown>;
    const data: unknown = JSON.parse(row.data);
    if (row.status === 'RUNNING' && step.await) {
      await this.#log(trx, row, step.name, 'timeout', { reason: step.await.timeoutReason });
      await this.#fail(trx, publish, row, { ...step, retryOnRefusal: false }, data, step.await.timeoutReason, null);
      return true;
    }
    // A command unanswered (or a retry due): send it again; idempotent participants make that safe.
    const again = row.status === 'RUNNING' ? step.invoke?.(data) : step.compensate?.(data);
    if (!again) return false;
    const commandId = this.#send(row, step.name, again, null, publish);
    const saved = await this.#save(trx, row, {
      awaiting_command_id: commandId, attempts: row.attempts + 1, deadline_at: new Date(Date.now() + this.#options.commandTimeoutMs),
    });
    await this.#log(trx, saved, step.name, row.status === 'RUNNING' ? 'command-resent' : 'compensation-resent', { command: again.definition.type, commandId, attempt: saved.attempts });
    return true;
  }

  /** Status, data and failure of a saga without its timeline: cheap enough to poll. */
  async peek(db: Kysely<unknown>, sagaId: string): Promise<{ status: SagaStatus; data: unknown; failureReason: string | null } | undefined> {
    const row = await this.#db(db).selectFrom('saga_instances').select(['status', 'data', 'failure_reason']).where('id', '=', sagaId).executeTakeFirst();
    return row ? { status: row.status, data: JSON.parse(row.data) as unknown, failureReason: row.failure_reason } : undefined;
  }

  async view(db: Kysely<unknown>, sagaId: string): Promise<SagaView | undefined> {
    const row = await this.#db(db).selectFrom('saga_instances').selectAll().where('id', '=', sagaId).executeTakeFirst();
    if (!row) return undefined;
    const log = await this.#db(db).selectFrom('saga_step_log').selectAll().where('saga_id', '=', sagaId).orderBy('id').execute();
    const definition = this.#definitions.get(row.saga_type);
    return {
      id: row.id, type: row.saga_type, orderId: row.order_id, status: row.status,
      step: definition?.steps[row.step_index]?.name ?? null, data: JSON.parse(row.data) as unknown, failureReason: row.failure_reason,
      deadlineAt: row.deadline_at?.toISOString() ?? null, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
      timeline: log.map((entry) => ({ step: entry.step, kind: entry.kind, detail: entry.detail === null ? null : JSON.parse(entry.detail) as unknown, at: entry.at.toISOString() })),
    };
  }

  async sagasOfOrder(db: Kysely<unknown>, orderId: string): Promise<{ id: string; type: string; status: SagaStatus; data: unknown }[]> {
    const rows = await this.#db(db).selectFrom('saga_instances').select(['id', 'saga_type', 'status', 'data']).where('order_id', '=', orderId).orderBy('created_at').execute();
    return rows.map((row) => ({ id: row.id, type: row.saga_type, status: row.status, data: JSON.parse(row.data) as unknown }));
  }
}
