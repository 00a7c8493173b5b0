import type { EventDefinition } from './define-event.ts';
import * as delivery from './events/delivery.ts';
import * as inventory from './events/inventory.ts';
import * as order from './events/order.ts';
import * as payment from './events/payment.ts';
import * as saga from './events/saga.ts';

function definitionsOf(module: Record<string, unknown>): EventDefinition[] {
  return Object.values(module).filter((value): value is EventDefinition =>
    typeof value === 'object' && value !== null && 'validator' in value && 'topic' in value);
}

/** Every message type paysaga knows, at every schema version it accepts. */
export const EVENT_DEFINITIONS: readonly EventDefinition[] = [payment, order, inventory, delivery, saga].flatMap(definitionsOf);

const byTypeAndVersion = new Map(EVENT_DEFINITIONS.map((definition) => [`${definition.type}@${definition.version}`, definition]));
const knownTypes = new Set(EVENT_DEFINITIONS.map((definition) => definition.type));

export function findDefinition(type: string, version: number): EventDefinition | undefined {
  return byTypeAndVersion.get(`${type}@${version}`);
}

export function isKnownType(type: string): boolean {
  return knownTypes.has(type);
}

/** The topics that carry paysaga's messages (retry and dead-letter topics are derived from these). */
export const EVENT_TOPICS: readonly string[] = [...new Set(EVENT_DEFINITIONS.map((definition) => definition.topic))];
