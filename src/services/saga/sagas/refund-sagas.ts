import { PaymentRefunded } from '../../../contracts/events/payment.ts';
import { CancelDelivery, FinishOrderCancellation, RefundPayment, ReleaseStock, SendNotification } from '../../../contracts/events/saga.ts';
import type { Money } from '../../../contracts/money.ts';
import { command, defineSaga, type AwaitEvents, type SagaDefinition } from '../../../platform/saga/saga-definition.ts';

export interface RefundData {
  orderId: string;
  customerId: string;
  paymentId: string | null;
  /** null: everything not yet refunded. */
  amount: Money | null;
  reason: string;
  refundRequestId: string;
  refundExpected: boolean;
  shipped: boolean;
}

function awaitRefund(deadlineMs: number): AwaitEvents<RefundData> {
  return {
    events: [PaymentRefunded],
    deadlineMs,
    timeoutReason: 'the gateway did not confirm the refund in time',
    judge: (data, envelope) => ((envelope.payload as { refundRequestId?: string }).refundRequestId === data.refundRequestId ? { ok: true } : null),
  };
}

const refundCommand = (data: RefundData) => data.paymentId === null ? null : command(RefundPayment, {
  orderId: data.orderId, paymentId: data.paymentId, refundRequestId: data.refundRequestId, amount: data.amount, reason: data.reason,
});

/**
 * The refund saga (SPEC §3): an order cancelled before DELIVERED is CANCELLING;
 * its delivery is stopped, its payment refunded, its stock restocked if nothing
 * shipped, and the order ends REFUNDED. Every step is retried until it succeeds:
 * there is nothing to compensate back to.
 */
export function cancellationRefundSaga(options: { refundDeadlineMs: number }): SagaDefinition<RefundData> {
  return defineSaga<RefundData>({
    name: 'cancellation-refund',
    steps: [
      {
        name: 'cancel-delivery',
        invoke: (data) => command(CancelDelivery, { orderId: data.orderId, reason: data.reason }),
        onSuccess: (data, result) => ({ ...data, shipped: result.shipped === true }),
        retryOnRefusal: true,
      },
      {
        name: 'refund-payment',
        when: (data) => data.paymentId !== null,
        invoke: refundCommand,
        onSuccess: (data, result) => ({ ...data, refundExpected: result.refundRequested !== false }),
        retryOnRefusal: true,
      },
      { name: 'await-refund', when: (data) => data.paymentId !== null && data.refundExpected, await: awaitRefund(options.refundDeadlineMs) },
      { name: 'restock', when: (data) => !data.shipped, invoke: (data) => command(ReleaseStock, { orderId: data.orderId, reason: `order cancelled: ${data.reason}` }), retryOnRefusal: true },
      {
        name: 'finish-order',
        invoke: (data) => command(FinishOrderCancellation, { orderId: data.orderId, outcome: data.paymentId !== null && data.refundExpected ? 'REFUNDED' : 'CANCELLED', reason: data.reason }),
        retryOnRefusal: true,
      },
      {
        name: 'notify-customer',
        invoke: (data) => command(SendNotification, {
          orderId: data.orderId, customerId: data.customerId, kind: data.refundExpected ? 'order-refunded' : 'order-cancelled',
          message: `Your order ${data.orderId} is cancelled (${data.reason})${data.refundExpected ? ' and your payment refunded' : ''}.`,
        }),
        retryOnRefusal: true,
      },
    ],
  });
}

/** An admin's partial refund of a paid order: the order keeps its status; the payment service refuses anything above what remains. */
export function partialRefundSaga(options: { refundDeadlineMs: number }): SagaDefinition<RefundData> {
  return defineSaga<RefundData>({
    name: 'partial-refund',
    steps: [
      { name: 'refund-payment', invoke: refundCommand, onSuccess: (data, result) => ({ ...data, refundExpected: result.refundRequested !== false }) },
      { name: 'await-refund', when: (data) => data.refundExpected, await: awaitRefund(options.refundDeadlineMs) },
      {
        name: 'notify-customer',
        invoke: (data) => command(SendNotification, {
          orderId: data.orderId, customerId: data.customerId, kind: 'order-refunded', message: `Part of your payment for order ${data.orderId} was refunded (${data.reason}).`,
        }),
        retryOnRefusal: true,
      },
    ],
  });
}
