import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decideCheckoutCancel, decideConfirm, decideCustomerCancel, decideDeliveryUpdate, decideFinishCancellation, decideKitchenUpdate,
  type Decision, type DeliveryStatus,
} from '../../../src/services/order/domain/order-decisions.ts';
import { ORDER_STATUSES, transitionAll, type OrderStatus } from '../../../src/services/order/domain/order-machine.ts';

/**
 * Expected decisions, by hand: "=" nothing to do (an idempotent repeat or
 * stale news), "!code" a refusal, otherwise the signals applied, comma-separated.
 */
type Expected = Record<OrderStatus, string>;

function render(decision: Decision): string {
  if (decision.kind === 'unchanged') return '=';
  if (decision.kind === 'refuse') return `!${decision.code}`;
  return decision.signals.join(',');
}

function check(name: string, expected: Expected, decide: (status: OrderStatus) => Decision, landsOn?: Partial<Record<OrderStatus, OrderStatus>>): void {
  describe(name, () => {
    for (const status of ORDER_STATUSES) {
      test(`${status} → ${expected[status]}`, () => {
        const decision = decide(status);
        assert.equal(render(decision), expected[status]);
        if (decision.kind === 'refuse') assert.ok(decision.message.length > 0);
        if (decision.kind === 'apply') {
          // A decision never asks the machine for a move SPEC §4 forbids.
          const walked = transitionAll(status, decision.signals);
          assert.ok(walked.ok, `the machine accepts ${decision.signals.join(',')} from ${status}`);
          const target = landsOn?.[status];
          if (target) assert.equal(walked.status, target);
        }
      });
    }
  });
}

const ILLEGAL = '!illegal_transition';

check('ConfirmOrder (no payment recorded yet)', {
  PAYMENT_PENDING: 'PAID,CONFIRMED', PENDING: 'CONFIRMED', CONFIRMED: '=', PREPARING: '=', READY_FOR_PICKUP: '=', OUT_FOR_DELIVERY: '=', DELIVERED: '=',
  PAYMENT_FAILED: ILLEGAL, CANCELLING: ILLEGAL, CANCELLED: ILLEGAL, REFUNDED: ILLEGAL,
}, (status) => decideConfirm({ status, paymentId: null }, 'pay_1'), { PAYMENT_PENDING: 'CONFIRMED', PENDING: 'CONFIRMED' });

check('ConfirmOrder with the payment already recorded', {
  PAYMENT_PENDING: 'PAID,CONFIRMED', PENDING: 'CONFIRMED', CONFIRMED: '=', PREPARING: '=', READY_FOR_PICKUP: '=', OUT_FOR_DELIVERY: '=', DELIVERED: '=',
  PAYMENT_FAILED: ILLEGAL, CANCELLING: ILLEGAL, CANCELLED: ILLEGAL, REFUNDED: ILLEGAL,
}, (status) => decideConfirm({ status, paymentId: 'pay_1' }, 'pay_1'));

check('ConfirmOrder with another payment than the recorded one', Object.fromEntries(ORDER_STATUSES.map((status) => [status, '!payment_mismatch'])) as Expected,
  (status) => decideConfirm({ status, paymentId: 'pay_1' }, 'pay_2'));

check('CancelOrder → PAYMENT_FAILED', {
  PAYMENT_PENDING: 'PAYMENT_FAILED', PENDING: ILLEGAL, CONFIRMED: ILLEGAL, PREPARING: ILLEGAL, READY_FOR_PICKUP: ILLEGAL, OUT_FOR_DELIVERY: ILLEGAL, DELIVERED: ILLEGAL,
  PAYMENT_FAILED: '=', CANCELLING: ILLEGAL, CANCELLED: '=', REFUNDED: '=',
}, (status) => decideCheckoutCancel(status, 'PAYMENT_FAILED'), { PAYMENT_PENDING: 'PAYMENT_FAILED' });

check('CancelOrder → CANCELLED', {
  PAYMENT_PENDING: 'CHECKOUT_ABORTED', PENDING: 'CHECKOUT_ABORTED', CONFIRMED: 'CHECKOUT_ABORTED',
  PREPARING: 'CANCEL_REQUESTED,CANCELLATION_CLOSED', READY_FOR_PICKUP: 'CANCEL_REQUESTED,CANCELLATION_CLOSED', OUT_FOR_DELIVERY: 'CANCEL_REQUESTED,CANCELLATION_CLOSED',
  DELIVERED: ILLEGAL, PAYMENT_FAILED: '=', CANCELLING: 'CANCELLATION_CLOSED', CANCELLED: '=', REFUNDED: '=',
}, (status) => decideCheckoutCancel(status, 'CANCELLED'), Object.fromEntries(
  (['PAYMENT_PENDING', 'PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'CANCELLING'] as const).map((status) => [status, 'CANCELLED']),
));

check('FinishOrderCancellation → REFUNDED', {
  PAYMENT_PENDING: ILLEGAL, PENDING: ILLEGAL, CONFIRMED: ILLEGAL, PREPARING: ILLEGAL, READY_FOR_PICKUP: ILLEGAL, OUT_FOR_DELIVERY: ILLEGAL, DELIVERED: ILLEGAL,
  PAYMENT_FAILED: '=', CANCELLING: 'CANCELLATION_REFUNDED', CANCELLED: '=', REFUNDED: '=',
}, (status) => decideFinishCancellation(status, 'REFUNDED'), { CANCELLING: 'REFUNDED' });

check('FinishOrderCancellation → CANCELLED', {
  PAYMENT_PENDING: ILLEGAL, PENDING: ILLEGAL, CONFIRMED: ILLEGAL, PREPARING: ILLEGAL, READY_FOR_PICKUP: ILLEGAL, OUT_FOR_DELIVERY: ILLEGAL, DELIVERED: ILLEGAL,
  PAYMENT_FAILED: '=', CANCELLING: 'CANCELLATION_CLOSED', CANCELLED: '=', REFUNDED: '=',
}, (status) => decideFinishCancellation(status, 'CANCELLED'), { CANCELLING: 'CANCELLED' });

check('customer or admin cancels', {
  PAYMENT_PENDING: '!checkout_in_progress', PENDING: 'CANCEL_REQUESTED', CONFIRMED: 'CANCEL_REQUESTED', PREPARING: 'CANCEL_REQUESTED',
  READY_FOR_PICKUP: 'CANCEL_REQUESTED', OUT_FOR_DELIVERY: 'CANCEL_REQUESTED', DELIVERED: ILLEGAL,
  PAYMENT_FAILED: ILLEGAL, CANCELLING: ILLEGAL, CANCELLED: ILLEGAL, REFUNDED: ILLEGAL,
}, decideCustomerCancel, { PENDING: 'CANCELLING', OUT_FOR_DELIVERY: 'CANCELLING' });

check('restaurant sets PREPARING', {
  PAYMENT_PENDING: ILLEGAL, PENDING: ILLEGAL, CONFIRMED: 'PREPARATION_STARTED', PREPARING: '=', READY_FOR_PICKUP: ILLEGAL, OUT_FOR_DELIVERY: ILLEGAL, DELIVERED: ILLEGAL,
  PAYMENT_FAILED: ILLEGAL, CANCELLING: ILLEGAL, CANCELLED: ILLEGAL, REFUNDED: ILLEGAL,
}, (status) => decideKitchenUpdate(status, 'PREPARING'), { CONFIRMED: 'PREPARING' });

check('restaurant sets READY_FOR_PICKUP', {
  PAYMENT_PENDING: ILLEGAL, PENDING: ILLEGAL, CONFIRMED: ILLEGAL, PREPARING: 'READY', READY_FOR_PICKUP: '=', OUT_FOR_DELIVERY: ILLEGAL, DELIVERED: ILLEGAL,
  PAYMENT_FAILED: ILLEGAL, CANCELLING: ILLEGAL, CANCELLED: ILLEGAL, REFUNDED: ILLEGAL,
}, (status) => decideKitchenUpdate(status, 'READY_FOR_PICKUP'), { PREPARING: 'READY_FOR_PICKUP' });

const NOTHING: Expected = Object.fromEntries(ORDER_STATUSES.map((status) => [status, '='])) as Expected;
for (const deliveryStatus of ['CREATED', 'COURIER_ASSIGNED', 'CANCELLED'] as const satisfies readonly DeliveryStatus[]) {
  check(`delivery.updated ${deliveryStatus}`, NOTHING, (status) => decideDeliveryUpdate(status, deliveryStatus));
}

check('delivery.updated PICKED_UP', {
  PAYMENT_PENDING: '=', PENDING: '=', CONFIRMED: 'PREPARATION_STARTED,READY,PICKED_UP', PREPARING: 'READY,PICKED_UP', READY_FOR_PICKUP: 'PICKED_UP',
  OUT_FOR_DELIVERY: '=', DELIVERED: '=', PAYMENT_FAILED: '=', CANCELLING: '=', CANCELLED: '=', REFUNDED: '=',
}, (status) => decideDeliveryUpdate(status, 'PICKED_UP'), { CONFIRMED: 'OUT_FOR_DELIVERY', PREPARING: 'OUT_FOR_DELIVERY', READY_FOR_PICKUP: 'OUT_FOR_DELIVERY' });

check('delivery.updated DELIVERED', {
  PAYMENT_PENDING: '=', PENDING: '=', CONFIRMED: 'PREPARATION_STARTED,READY,PICKED_UP,DELIVERED', PREPARING: 'READY,PICKED_UP,DELIVERED',
  READY_FOR_PICKUP: 'PICKED_UP,DELIVERED', OUT_FOR_DELIVERY: 'DELIVERED', DELIVERED: '=', PAYMENT_FAILED: '=', CANCELLING: '=', CANCELLED: '=', REFUNDED: '=',
}, (status) => decideDeliveryUpdate(status, 'DELIVERED'), Object.fromEntries(
  (['CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY'] as const).map((status) => [status, 'DELIVERED']),
));
