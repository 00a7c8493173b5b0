import type { Static, TSchema } from 'typebox';
import type { EventDefinition } from '../../contracts/define-event.ts';
import type { Envelope } from '../../contracts/envelope.ts';
import type { ReplyValue } from './participant.ts';

/** A command a step sends: its definition and payload, minus the saga fields the engine fills in. */
export interface SagaCommand {
  definition: EventDefinition;
  payload: Record<string, unknown>;
}

type SagaFields = 'sagaId' | 'commandId' | 'step';

/** Type-checked construction of a step's command. */
export function command<P extends TSchema>(definition: EventDefinition<P>, payload: Omit<Static<P>, SagaFields>): SagaCommand {
  return { definition: definition, payload: payload };
}

export type StepResult = Record<string, ReplyValue>;

/** How an awaited event ends the step: success, failure (with a reason), or not this saga's business (null). */
export type EventVerdict<D> = { ok: true; data?: D } | { ok: false; reason: string; data?: D } | null;

export interface AwaitEvents<D> {
  events: readonly EventDefinition[];
  judge(data: D, envelope: Envelope): EventVerdict<D>;
  /** Durable deadline (fixed, or from the saga's data): when it passes, the step fails with `timeoutReason`. */
  deadlineMs: number | ((data: D) => number);
  timeoutReason: string;
}

export interface SagaStep<D> {
  name: string;
  /** Run the step only when this holds (e.g. restock only if nothing shipped); skipped otherwise. */
  when?: (data: D) => boolean;
  /** The command that does the step; null skips it (e.g. nothing to restock). */
  invoke?: (data: D) => SagaCommand | null;
  /** Or: wait for domain events (the payment's outcome), with a deadline. */
  await?: AwaitEvents<D>;
  /** Folds a successful reply's result into the saga's data. */
  onSuccess?: (data: D, result: StepResult) => D;
  /** Records why the step failed (so compensations can choose, e.g. PAYMENT_FAILED or CANCELLED). */
  onFailure?: (data: D, reason: string) => D;
  /** Undoes the step; idempotent at the participant, retried until it succeeds. Null: nothing to undo. */
  compensate?: (data: D) => SagaCommand | null;
  /** Past the pivot: a refusal is retried (with backoff, a bounded number of times) instead of compensating. */
  retryOnRefusal?: boolean;
  /** The saga does not depend on it (a notification): when it cannot be done, it is recorded as abandoned and the saga goes on. */
  optional?: boolean;
}

export interface SagaDefinition<D> {
  name: string;
  steps: readonly SagaStep<D>[];
  /** Commands sent once the saga ends (notifications); they are not awaited. */
  onCompleted?: (data: D) => SagaCommand[];
  onCompensated?: (data: D) => SagaCommand[];
  /** Sent when the saga ends FAILED (a compensation abandoned, or nothing to compensate); defaults to onCompensated. */
  onFailed?: (data: D) => SagaCommand[];
}

export function defineSaga<D>(definition: SagaDefinition<D>): SagaDefinition<D> {
  const names = new Set(definition.steps.map((step) => step.name));
  if (names.size !== definition.steps.length) throw new Error(`saga ${definition.name}: step names must be unique`);
  for (const step of definition.steps) {
    if (Boolean(step.invoke) === Boolean(step.await)) throw new Error(`saga ${definition.name}: step ${step.name} needs exactly one of invoke or await`);
  }
  return definition;
}
