/**
 * The order state machine of SPEC §4, as a pure function:
 *
 *   PAYMENT_PENDING → PENDING → CONFIRMED → PREPARING → READY_FOR_PICKUP → OUT_FOR_DELIVERY → DELIVERED
 *   PAYMENT_PENDING → PAYMENT_FAILED
 *   any state before DELIVERED → CANCELLING → CANCELLED | REFUNDED
 *
 * One addition, for the checkout saga's compensation (docs/order-service.md):
 * PAYMENT_PENDING | PENDING | CONFIRMED → CANCELLED at once (CHECKOUT_ABORTED).
 * Those orders have nothing in a kitchen or on a road, and the checkout saga
 * undoes the payment and the stock itself, so there is no refund saga to wait for.
 *
 * DELIVERED, PAYMENT_FAILED, CANCELLED and REFUNDED are terminal.
 */
import { ORDER_STATUSES } from '../../../contracts/events/order.ts';

export { ORDER_STATUSES };
export type OrderStatus = typeof ORDER_STATUSES[number];

export const ORDER_SIGNAL_TYPES = [
  'PAID', 'CONFIRMED', 'PREPARATION_STARTED', 'READY', 'PICKED_UP', 'DELIVERED',
  'PAYMENT_FAILED', 'CANCEL_REQUESTED', 'CHECKOUT_ABORTED', 'CANCELLATION_REFUNDED', 'CANCELLATION_CLOSED',
] as const;
export type OrderSignal = typeof ORDER_SIGNAL_TYPES[number];

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['DELIVERED', 'PAYMENT_FAILED', 'CANCELLED', 'REFUNDED']);

/** The states a customer's order is "live" in: everything a cancellation may start from. */
export const CANCELLABLE_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'PAYMENT_PENDING', 'PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY',
]);

/** What the caller publishes after a transition; every transition publishes `order.updated`, some one more event. */
export type OrderEffect =
  | { type: 'publish'; event: 'order.updated' }
  | { type: 'publish'; event: 'order.created' }
  | { type: 'publish'; event: 'order.confirmed' }
  | { type: 'publish'; event: 'order.cancelled' };

export interface OrderTransition {
  from: OrderStatus;
  to: OrderStatus;
  signal: OrderSignal;
  effects: OrderEffect[];
}

export interface OrderRejection {
  code: 'illegal_transition';
  message: string;
  status: OrderStatus;
}

export type TransitionResult =
  | { ok: true; transition: OrderTransition }
  | { ok: false; rejection: OrderRejection };

const NEXT: Record<OrderStatus, Partial<Record<OrderSignal, OrderStatus>>> = {
  PAYMENT_PENDING: { PAID: 'PENDING', PAYMENT_FAILED: 'PAYMENT_FAILED', CANCEL_REQUESTED: 'CANCELLING', CHECKOUT_ABORTED: 'CANCELLED' },
  PENDING: { CONFIRMED: 'CONFIRMED', CANCEL_REQUESTED: 'CANCELLING', CHECKOUT_ABORTED: 'CANCELLED' },
  CONFIRMED: { PREPARATION_STARTED: 'PREPARING', CANCEL_REQUESTED: 'CANCELLING', CHECKOUT_ABORTED: 'CANCELLED' },
  PREPARING: { READY: 'READY_FOR_PICKUP', CANCEL_REQUESTED: 'CANCELLING' },
  READY_FOR_PICKUP: { PICKED_UP: 'OUT_FOR_DELIVERY', CANCEL_REQUESTED: 'CANCELLING' },
  OUT_FOR_DELIVERY: { DELIVERED: 'DELIVERED', CANCEL_REQUESTED: 'CANCELLING' },
  DELIVERED: {},
  PAYMENT_FAILED: {},
  CANCELLING: { CANCELLATION_REFUNDED: 'REFUNDED', CANCELLATION_CLOSED: 'CANCELLED' },
  CANCELLED: {},
  REFUNDED: {},
};

/** The event beyond `order.updated` that a signal publishes. */
const EXTRA_EVENT: Partial<Record<OrderSignal, OrderEffect['event']>> = {
  PAID: 'order.created',
  CONFIRMED: 'order.confirmed',
  PAYMENT_FAILED: 'order.cancelled',
  CANCEL_REQUESTED: 'order.cancelled',
  CHECKOUT_ABORTED: 'order.cancelled',
};

export function transition(status: OrderStatus, signal: OrderSignal): TransitionResult {
  const to = NEXT[status][signal];
  if (!to) {
    return { ok: false, rejection: { code: 'illegal_transition', status, message: `a ${status} order cannot take ${signal}` } };
  }
  const extra = EXTRA_EVENT[signal];
  const effects: OrderEffect[] = [{ type: 'publish', event: 'order.updated' }];
  if (extra) effects.push({ type: 'publish', event: extra });
  return { ok: true, transition: { from: status, to, signal, effects } };
}

/**
 * Runs signals one after another: all of them apply, or the first illegal one
 * is the answer and nothing applies (the caller writes nothing).
 */
export function transitionAll(status: OrderStatus, signals: readonly OrderSignal[]): { ok: true; transitions: OrderTransition[]; status: OrderStatus } | { ok: false; rejection: OrderRejection } {
  const transitions: OrderTransition[] = [];
  let current = status;
  for (const signal of signals) {
    const result = transition(current, signal);
    if (!result.ok) return result;
    transitions.push(result.transition);
    current = result.transition.to;
  }
  return { ok: true, transitions, status: current };
}

/** The happy path, in order; a status's index says how far along an order is. */
export const HAPPY_PATH: readonly OrderStatus[] = ['PAYMENT_PENDING', 'PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED'];

/** The signal that takes an order from HAPPY_PATH[i] to HAPPY_PATH[i + 1]. */
const HAPPY_SIGNALS: readonly OrderSignal[] = ['PAID', 'CONFIRMED', 'PREPARATION_STARTED', 'READY', 'PICKED_UP', 'DELIVERED'];

/** How far along the happy path a status is, or -1 off it (failed, cancelling, cancelled, refunded). */
export function progressOf(status: OrderStatus): number {
  return HAPPY_PATH.indexOf(status);
}

/** The happy-path signals from `from` to `to` (empty when `to` is not ahead of `from`, or either is off the path). */
export function happySignalsBetween(from: OrderStatus, to: OrderStatus): OrderSignal[] {
  const start = progressOf(from);
  const end = progressOf(to);
  if (start < 0 || end <= start) return [];
  return HAPPY_SIGNALS.slice(start, end);
}
