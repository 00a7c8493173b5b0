/**
 * The delivery state machine, as a pure function:
 *
 *   CREATED → COURIER_ASSIGNED → PICKED_UP → DELIVERED
 *   CREATED | COURIER_ASSIGNED → CANCELLED
 *
 * A courier assigns themselves, then only that courier may pick the order up
 * and deliver it. Once picked up, the food has left the restaurant: the
 * delivery can no longer be cancelled (the refund saga learns it "shipped").
 */
import { DELIVERY_STATUSES } from '../../../contracts/events/delivery.ts';

export { DELIVERY_STATUSES };
export type DeliveryStatus = typeof DELIVERY_STATUSES[number];

export interface DeliveryState {
  status: DeliveryStatus;
  courierId: string | null;
}

export type DeliverySignal =
  | { type: 'ASSIGN_COURIER'; courierId: string }
  | { type: 'PICK_UP'; courierId: string }
  | { type: 'DELIVER'; courierId: string }
  | { type: 'CANCEL' };

export type DeliverySignalType = DeliverySignal['type'];
export const DELIVERY_SIGNAL_TYPES: readonly DeliverySignalType[] = ['ASSIGN_COURIER', 'PICK_UP', 'DELIVER', 'CANCEL'];

/** Each transition publishes `delivery.updated` with the state it reached. */
export interface DeliveryEffect {
  type: 'publish';
  event: 'delivery.updated';
}

export type DeliveryRejection =
  | { code: 'illegal_transition'; message: string }
  | { code: 'courier_mismatch'; message: string };

export type DeliveryTransition =
  | { ok: true; state: DeliveryState; effects: DeliveryEffect[] }
  | { ok: false; rejection: DeliveryRejection };

const NEXT: Record<DeliveryStatus, Partial<Record<DeliverySignalType, DeliveryStatus>>> = {
  CREATED: { ASSIGN_COURIER: 'COURIER_ASSIGNED', CANCEL: 'CANCELLED' },
  COURIER_ASSIGNED: { PICK_UP: 'PICKED_UP', CANCEL: 'CANCELLED' },
  PICKED_UP: { DELIVER: 'DELIVERED' },
  DELIVERED: {},
  CANCELLED: {},
};

/** The status a courier's status update asks for, as the signal that reaches it. */
export const SIGNAL_FOR_STATUS = {
  COURIER_ASSIGNED: 'ASSIGN_COURIER', PICKED_UP: 'PICK_UP', DELIVERED: 'DELIVER',
} as const satisfies Partial<Record<DeliveryStatus, DeliverySignalType>>;

/** Whether the food has left the restaurant: nothing can be cancelled any more, stock is not restocked. */
export function isShipped(status: DeliveryStatus): boolean {
  return status === 'PICKED_UP' || status === 'DELIVERED';
}

export function transition(state: DeliveryState, signal: DeliverySignal): DeliveryTransition {
  const next = NEXT[state.status][signal.type];
  if (!next) {
    return { ok: false, rejection: { code: 'illegal_transition', message: `a ${state.status} delivery cannot take ${signal.type}` } };
  }
  if ((signal.type === 'PICK_UP' || signal.type === 'DELIVER') && signal.courierId !== state.courierId) {
    return {
      ok: false,
      rejection: { code: 'courier_mismatch', message: `the delivery is assigned to courier ${state.courierId ?? '(none)'}, not ${signal.courierId}` },
    };
  }
  const courierId = signal.type === 'ASSIGN_COURIER' ? signal.courierId : state.courierId;
  return { ok: true, state: { status: next, courierId }, effects: [{ type: 'publish', event: 'delivery.updated' }] };
}
