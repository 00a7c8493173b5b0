/**
 * What each command, event or request means for an order in a given status,
 * as pure functions: the signals to apply (in order), "nothing to do" (an
 * idempotent repeat, stale news), or a refusal. The machine then checks every
 * signal, so a decision can never take an order where SPEC §4 forbids.
 */
import type { DELIVERY_STATUSES } from '../../../contracts/events/delivery.ts';
import { happySignalsBetween, progressOf, TERMINAL_STATUSES, type OrderSignal, type OrderStatus } from './order-machine.ts';

export type DeliveryStatus = typeof DELIVERY_STATUSES[number];

export type RefusalCode = 'illegal_transition' | 'checkout_in_progress' | 'payment_mismatch';

export type Decision =
  | { kind: 'apply'; signals: OrderSignal[] }
  | { kind: 'unchanged'; note: string }
  | { kind: 'refuse'; code: RefusalCode; message: string };

const apply = (...signals: OrderSignal[]): Decision => ({ kind: 'apply', signals });
const unchanged = (note: string): Decision => ({ kind: 'unchanged', note });
const illegal = (status: OrderStatus, what: string): Decision => ({ kind: 'refuse', code: 'illegal_transition', message: `a ${status} order cannot be ${what}` });

/** Cancelled one way or another: no kitchen, no courier, nothing more to do for it. */
const ENDED_WITHOUT_DELIVERY: ReadonlySet<OrderStatus> = new Set(['PAYMENT_FAILED', 'CANCELLED', 'REFUNDED']);

/** ConfirmOrder: paid and stock committed → PENDING (order.created) → CONFIRMED (order.confirmed). */
export function decideConfirm(order: { status: OrderStatus; paymentId: string | null }, paymentId: string): Decision {
  if (order.paymentId !== null && order.paymentId !== paymentId) {
    return { kind: 'refuse', code: 'payment_mismatch', message: `the order was confirmed with payment ${order.paymentId}, not ${paymentId}` };
  }
  switch (order.status) {
    case 'PAYMENT_PENDING': return apply('PAID', 'CONFIRMED');
    case 'PENDING': return apply('CONFIRMED');
    default:
      if (progressOf(order.status) > progressOf('PENDING')) return unchanged(`already ${order.status}`);
      return illegal(order.status, 'confirmed');
  }
}

/**
 * CancelOrder, the checkout saga's compensation. A compensation must succeed,
 * so an order that already ended without being delivered answers "done".
 */
export function decideCheckoutCancel(status: OrderStatus, outcome: 'PAYMENT_FAILED' | 'CANCELLED'): Decision {
  if (status === outcome) return unchanged(`already ${status}`);
  if (ENDED_WITHOUT_DELIVERY.has(status)) return unchanged(`already ended ${status}`);
  if (outcome === 'PAYMENT_FAILED') {
    // Only an unpaid order can fail its payment; past PAYMENT_PENDING the money was taken.
    return status === 'PAYMENT_PENDING' ? apply('PAYMENT_FAILED') : illegal(status, 'marked PAYMENT_FAILED');
  }
  switch (status) {
    case 'PAYMENT_PENDING': case 'PENDING': case 'CONFIRMED': return apply('CHECKOUT_ABORTED');
    case 'PREPARING': case 'READY_FOR_PICKUP': case 'OUT_FOR_DELIVERY': return apply('CANCEL_REQUESTED', 'CANCELLATION_CLOSED');
    case 'CANCELLING': return apply('CANCELLATION_CLOSED');
    default: return illegal(status, 'cancelled');
  }
}

/** FinishOrderCancellation, the refund saga's last step: CANCELLING → REFUNDED | CANCELLED. */
export function decideFinishCancellation(status: OrderStatus, outcome: 'REFUNDED' | 'CANCELLED'): Decision {
  if (status === 'CANCELLING') return apply(outcome === 'REFUNDED' ? 'CANCELLATION_REFUNDED' : 'CANCELLATION_CLOSED');
  if (status === outcome) return unchanged(`already ${status}`);
  // The refund saga retries until it succeeds: an order another path already ended is done, not an error.
  if (ENDED_WITHOUT_DELIVERY.has(status)) return unchanged(`already ended ${status}`);
  return illegal(status, `finished as ${outcome} (it is not being cancelled)`);
}

/**
 * A customer's or an admin's cancellation: paid orders before DELIVERED become
 * CANCELLING (the refund saga finishes them). An order still waiting for its
 * payment belongs to the checkout saga, which ends it by deadline or compensation.
 */
export function decideCustomerCancel(status: OrderStatus): Decision {
  if (status === 'PAYMENT_PENDING') {
    return { kind: 'refuse', code: 'checkout_in_progress', message: 'the order is still waiting for its payment; the checkout ends it (cancel the payment instead)' };
  }
  if (status === 'CANCELLING') return illegal(status, 'cancelled again: its cancellation is under way');
  if (TERMINAL_STATUSES.has(status)) return illegal(status, 'cancelled');
  return apply('CANCEL_REQUESTED');
}

export type KitchenStatus = 'PREPARING' | 'READY_FOR_PICKUP';
const KITCHEN_SIGNAL: Record<KitchenStatus, OrderSignal> = { PREPARING: 'PREPARATION_STARTED', READY_FOR_PICKUP: 'READY' };

/** The restaurant moves the order one kitchen step on; asking for the status it already has is a harmless repeat. */
export function decideKitchenUpdate(status: OrderStatus, target: KitchenStatus): Decision {
  if (status === target) return unchanged(`already ${status}`);
  const required = target === 'PREPARING' ? 'CONFIRMED' : 'PREPARING';
  if (status !== required) return illegal(status, `set to ${target} (it must be ${required})`);
  return apply(KITCHEN_SIGNAL[target]);
}

/** The order status a courier's delivery status means, if any. */
const DELIVERY_TARGET: Partial<Record<DeliveryStatus, OrderStatus>> = { PICKED_UP: 'OUT_FOR_DELIVERY', DELIVERED: 'DELIVERED' };

/**
 * delivery.updated: the courier's progress pulls the order along the happy
 * path, through every state in between (a courier may pick up before the
 * restaurant marked the order ready). Stale, repeated and irrelevant updates,
 * and any update for a cancelled order, change nothing.
 */
export function decideDeliveryUpdate(status: OrderStatus, deliveryStatus: DeliveryStatus): Decision {
  const target = DELIVERY_TARGET[deliveryStatus];
  if (!target) return unchanged(`delivery ${deliveryStatus} does not move the order`);
  if (progressOf(status) < 0) return unchanged(`the order is ${status}`);
  // A delivery exists only for a confirmed order; an earlier status is not the courier's to skip.
  if (progressOf(status) < progressOf('CONFIRMED')) return unchanged(`the order is only ${status}`);
  if (progressOf(status) >= progressOf(target)) return unchanged(`already ${status}`);
  return apply(...happySignalsBetween(status, target));
}
