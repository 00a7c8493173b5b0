import type { Static, TSchema } from 'typebox';
import { causedBy, createEnvelope } from '../../contracts/codec.ts';
import type { EventDefinition, ServiceName } from '../../contracts/define-event.ts';
import type { Envelope } from '../../contracts/envelope.ts';
import { SagaReply } from '../../contracts/events/saga.ts';
import type { HandlerContext, MessageConsumer } from '../messaging/message-consumer.ts';
import { DEAD_LETTERED, storableReason } from './saga-moves.ts';

export type ReplyValue = string | number | boolean | null;

/** A participant's answer: done (with values the saga keeps) or refused (the saga compensates). */
export type CommandOutcome =
  | { ok: true; result?: Record<string, ReplyValue> }
  | { ok: false; reason: string; result?: Record<string, ReplyValue> };

interface CommandPayload {
  sagaId: string;
  commandId: string;
  step: string;
}

export type CommandHandler<P> = (payload: P, context: HandlerContext, envelope: Envelope<P>) => Promise<CommandOutcome>;

/**
 * Handles one saga command type for a service: runs the handler in the
 * consumer's transaction (inbox, effects and reply commit together) and
 * answers on `saga.replies`. A refusal is an answer and commits with its reply;
 * an exception is a fault and goes the retry → dead-letter way; when the
 * command is dead-lettered, the participant answers that it could not run it
 * (`deadLettered: true`, with the error), in the dead letter's transaction, so
 * the saga resends a bounded number of times or gives up instead of waiting.
 */
export function handleCommand<P extends TSchema>(
  consumer: MessageConsumer, service: ServiceName, definition: EventDefinition<P>, handler: CommandHandler<Static<P>>,
): void {
  const answer = (envelope: Envelope<Static<P>>, outcome: CommandOutcome) => {
    const ref = envelope.payload as unknown as CommandPayload;
    return {
      topic: SagaReply.topic,
      envelope: createEnvelope(SagaReply, {
        sagaId: ref.sagaId, commandId: ref.commandId, step: ref.step, command: definition.type,
        ok: outcome.ok, reason: outcome.ok ? null : outcome.reason, result: outcome.result ?? {},
      }, causedBy(envelope, service)),
    };
  };
  consumer.on(definition, async (envelope, context) => {
    context.publish(answer(envelope, await handler(envelope.payload, context, envelope)));
  }, {
    onDeadLetter: (envelope, context, error) => {
      context.publish(answer(envelope, { ok: false, reason: `${service} could not run ${definition.type} (dead-lettered): ${storableReason(error)}`, result: { [DEAD_LETTERED]: true } }));
    },
  });
}
