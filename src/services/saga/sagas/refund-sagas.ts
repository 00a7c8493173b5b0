import { PaymentRefundFailed, PaymentRefunded } from '../../../contracts/events/payment.ts';
import { CancelDelivery, FinishOrderCancellation, RefundPayment, ReleaseStock, SendNotification } from '../../../contracts/events/saga.ts';
import { formatMoney, type Money } from '../../../contracts/money.ts';
import { command, defineSaga, type AwaitEvents, type SagaCommand, type SagaDefinition, type StepResult } from '../../../platform/saga/saga-definition.ts';

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
  /** What the gateway really refunded for this saga (payment.refunded), and the payment's refunded total then. */
  refunded?: Money | null;
  totalRefunded?: Money | null;
  /** A cancellation with nothing left to refund: what earlier refunds had already given back. */
  alreadyRefunded?: Money | null;
}

function awaitRefund(deadlineMs: number): AwaitEvents<RefundData> {
  return {
    events: [PaymentRefunded, PaymentRefundFailed],
    deadlineMs,
    timeoutReason: 'the gateway did not confirm the refund in time',
    judge: (data, envelope) => {
      const payload = envelope.payload as { refundRequestId?: string; amount?: Money; totalRefunded?: Money; failureReason?: string };
      if (payload.refundRequestId !== data.refundRequestId) return null;
      if (envelope.type === PaymentRefundFailed.type) return { ok: false, reason: `the refund was refused: ${payload.failureReason ?? 'by the gateway'}` };
      return { ok: true, data: { ...data, refunded: payload.amount ?? null, totalRefunded: payload.totalRefunded ?? null } };
    },
  };
}

const refundCommand = (data: RefundData) => data.paymentId === null ? null : command(RefundPayment, {
  orderId: data.orderId, paymentId: data.paymentId, refundRequestId: data.refundRequestId, amount: data.amount, reason: data.reason,
});

/** The RefundPayment reply: a refund requested (its outcome comes as an event), or nothing left to refund (and how much had been). */
function afterRefundRequest(data: RefundData, result: StepResult): RefundData {
  if (result.refundRequested !== false) return { ...data, refundExpected: true };
  const already = typeof result.alreadyRefunded === 'number' && typeof result.currency === 'string' ? { amount: result.alreadyRefunded, currency: result.currency } as Money : null;
  return { ...data, refundExpected: false, alreadyRefunded: already };
}

function notice(data: RefundData, kind: 'order-refunded' | 'order-cancelled', message: string): SagaCommand {
  return command(SendNotification, { orderId: data.orderId, customerId: data.customerId, kind, message });
}

/** What this refund really gave back, and the payment's total refunded if earlier refunds add to it. */
function refundedText(refunded: Money, total: Money | null | undefined): string {
  const inAll = total && total.amount > refunded.amount ? ` (${formatMoney(total)} refunded in all)` : '';
  return `${formatMoney(refunded)} of your payment was refunded${inAll}`;
}

/** The cancellation notice says what really happened to the money: refunded now (how much), refunded before, or never paid. */
export function cancellationNotice(data: RefundData): SagaCommand {
  const cancelled = `Your order ${data.orderId} is cancelled (${data.reason})`;
  if (data.refunded) return notice(data, 'order-refunded', `${cancelled}; ${refundedText(data.refunded, data.totalRefunded)}.`);
  if (data.alreadyRefunded) return notice(data, 'order-refunded', `${cancelled}; your payment had already been refunded (${formatMoney(data.alreadyRefunded)}).`);
  return notice(data, 'order-cancelled', `${cancelled}.`);
}

/** A cancellation that could not be finished: the customer hears what happened to the money, nothing more. */
function cancellationFailedNotice(data: RefundData): SagaCommand[] {
  if (data.refunded) return [notice(data, 'order-refunded', `Your order ${data.orderId} is being cancelled (${data.reason}); ${refundedText(data.refunded, data.totalRefunded)}.`)];
  if (data.paymentId === null) return [];
  return [notice(data, 'order-cancelled', `Your order ${data.orderId} is being cancelled (${data.reason}), but your payment could not be refunded yet; our team has been alerted.`)];
}

/**
 * The refund saga (SPEC §3): an order cancelled before DELIVERED is CANCELLING;
 * its delivery is stopped, its payment refunded, its stock restocked if nothing
 * shipped, and the order ends REFUNDED. Every step is retried (a bounded number
 * of times): there is nothing to compensate back to, so a refund the gateway
 * refuses, or a step given up on, ends the saga FAILED for an operator — and
 * the customer is told only what really happened.
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
      { name: 'refund-payment', when: (data) => data.paymentId !== null, invoke: refundCommand, onSuccess: afterRefundRequest, retryOnRefusal: true },
      { name: 'await-refund', when: (data) => data.paymentId !== null && data.refundExpected, await: awaitRefund(options.refundDeadlineMs) },
      { name: 'restock', when: (data) => !data.shipped, invoke: (data) => command(ReleaseStock, { orderId: data.orderId, reason: `order cancelled: ${data.reason}` }), retryOnRefusal: true },
      {
        name: 'finish-order',
        invoke: (data) => command(FinishOrderCancellation, {
          orderId: data.orderId, outcome: data.paymentId !== null && (data.refunded || data.alreadyRefunded) ? 'REFUNDED' : 'CANCELLED', reason: data.reason,
        }),
        retryOnRefusal: true,
      },
      { name: 'notify-customer', invoke: cancellationNotice, retryOnRefusal: true, optional: true },
    ],
    onFailed: cancellationFailedNotice,
  });
}

/**
 * An admin's partial refund of a paid order: the order keeps its status. The
 * route refuses up front what is more than remains (by the orchestrator's own
 * books); what only the payment service can see (a refund made around the
 * saga, the gateway refusing) refuses the refund there and ends the saga FAILED,
 * and the customer is told nothing that did not happen.
 */
export function partialRefundSaga(options: { refundDeadlineMs: number }): SagaDefinition<RefundData> {
  return defineSaga<RefundData>({
    name: 'partial-refund',
    steps: [
      { name: 'refund-payment', invoke: refundCommand, onSuccess: afterRefundRequest },
      { name: 'await-refund', await: awaitRefund(options.refundDeadlineMs) },
      {
        name: 'notify-customer',
        when: (data) => Boolean(data.refunded),
        invoke: (data) => notice(data, 'order-refunded', `Part of your payment for order ${data.orderId} was refunded (${data.reason}): ${refundedText(data.refunded as Money, data.totalRefunded)}.`),
        retryOnRefusal: true,
        optional: true,
      },
    ],
    onFailed: () => [],
  });
}
