import { type Static, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';

export type ServiceName = 'payment' | 'order' | 'inventory' | 'delivery' | 'notification' | 'saga';

/** One message type on one topic at one schema version: the unit of the event catalogue. */
export interface EventDefinition<Payload extends TSchema = TSchema> {
  readonly topic: string;
  readonly type: string;
  readonly version: number;
  readonly producer: ServiceName;
  /** Other services that publish this type too (e.g. a refund asked for through the payment API as well as by the order side). */
  readonly alsoProducedBy?: readonly ServiceName[];
  readonly description: string;
  readonly payload: Payload;
  readonly validator: Validator<Record<never, never>, Payload>;
}

export type PayloadOf<D> = D extends EventDefinition<infer P> ? Static<P> : never;

export function defineEvent<Payload extends TSchema>(spec: Omit<EventDefinition<Payload>, 'validator'>): EventDefinition<Payload> {
  return Object.freeze({ ...spec, validator: Compile(spec.payload) });
}

/** Every service that publishes a definition. */
export function producersOf(definition: EventDefinition): ServiceName[] {
  return [definition.producer, ...(definition.alsoProducedBy ?? [])];
}
