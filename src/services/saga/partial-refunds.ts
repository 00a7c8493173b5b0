import type { Money } from '../../contracts/money.ts';
import type { SagaStatus } from '../../platform/saga/saga-tables.ts';
import type { CheckoutData } from './sagas/checkout-saga.ts';
import type { RefundData } from './sagas/refund-sagas.ts';

export interface OrderSaga {
  id: string;
  type: string;
  status: SagaStatus;
  data: unknown;
}

export type RefundDecision =
  | { ok: true; paymentId: string; customerId: string }
  | { ok: false; status: 400 | 404 | 409; code: string; message: string; details?: Record<string, unknown> };

/**
 * Whether an admin's partial refund of an order may start, decided on the
 * orchestrator's own books (the order's sagas, read under their row locks so
 * two requests cannot both spend the same remainder): the checkout captured
 * `total`; partial refunds that are running or done hold their amounts; a
 * cancellation gives back everything that remains. A refund made around the
 * sagas (POST /payments/:id/refunds) is the payment service's to refuse.
 */
export function decidePartialRefund(orderId: string, sagas: readonly OrderSaga[], amount: Money): RefundDecision {
  const checkout = sagas.find((saga) => saga.type === 'checkout');
  const data = checkout?.data as CheckoutData | undefined;
  if (!checkout || !data) return { ok: false, status: 404, code: 'not_found', message: `order ${orderId} does not exist` };
  if (checkout.status !== 'COMPLETED' || !data.captured || !data.paymentId) {
    return { ok: false, status: 409, code: 'not_paid', message: `order ${orderId} has no captured payment to refund (its checkout is ${checkout.status})` };
  }
  if (amount.currency !== data.total.currency) {
    return { ok: false, status: 400, code: 'currency_mismatch', message: `order ${orderId} was paid in ${data.total.currency}, the refund asks for ${amount.currency}` };
  }
  if (sagas.some((saga) => saga.type === 'cancellation-refund')) {
    return { ok: false, status: 409, code: 'order_cancelled', message: `order ${orderId} is cancelled: its refund gives back everything that remains` };
  }
  const held = sagas.filter((saga) => saga.type === 'partial-refund' && saga.status !== 'FAILED' && saga.status !== 'COMPENSATED')
    .reduce((sum, saga) => sum + ((saga.data as RefundData).amount?.amount ?? 0), 0);
  const refundable = Math.max(0, data.total.amount - held);
  if (amount.amount > refundable) {
    return {
      ok: false, status: 400, code: 'refund_exceeds_remaining',
      message: `a refund of ${amount.amount} exceeds the ${refundable} ${data.total.currency} that remains refundable on order ${orderId}`,
      details: { refundable: { amount: refundable, currency: data.total.currency } },
    };
  }
  return { ok: true, paymentId: data.paymentId, customerId: data.customerId };
}
