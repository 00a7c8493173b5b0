import type { Selectable } from 'kysely';
import type { Money } from '../../../contracts/money.ts';
import type { PaymentStatus } from '../domain/payment-machine.ts';
import type { PaymentsTable, RefundsTable } from '../store/tables.ts';

export type PaymentRow = Selectable<PaymentsTable>;
export type RefundRow = Selectable<RefundsTable>;

export interface RefundView {
  id: string;
  refundRequestId: string;
  amount: Money;
  reason: string;
  status: RefundRow['status'];
  stripeRefundId: string | null;
  failureReason: string | null;
  createdAt: string;
}

/** What the API shows of a payment. Never card data: only the gateway's ids and the test payment method token. */
export interface PaymentView {
  id: string;
  orderId: string;
  customerId: string;
  amount: Money;
  status: PaymentStatus;
  clientSecret: string | null;
  stripePaymentIntentId: string | null;
  stripeChargeId: string | null;
  receiptUrl: string | null;
  nextActionUrl: string | null;
  failure: { code: string; declineCode: string | null; reason: string } | null;
  cancelReason: string | null;
  refunded: Money;
  refundPending: Money;
  refunds: RefundView[];
  createdAt: string;
  updatedAt: string;
}

export function refundViewOf(row: RefundRow): RefundView {
  return {
    id: row.id, refundRequestId: row.refund_request_id, amount: { amount: row.amount, currency: row.currency }, reason: row.reason,
    status: row.status, stripeRefundId: row.stripe_refund_id, failureReason: row.failure_reason, createdAt: row.created_at.toISOString(),
  };
}

export function paymentViewOf(row: PaymentRow, refunds: readonly RefundRow[]): PaymentView {
  const money = (amount: number): Money => ({ amount, currency: row.currency });
  return {
    id: row.id, orderId: row.order_id, customerId: row.customer_id, amount: money(row.amount), status: row.status,
    clientSecret: row.client_secret, stripePaymentIntentId: row.stripe_payment_intent_id, stripeChargeId: row.stripe_charge_id,
    receiptUrl: row.receipt_url, nextActionUrl: row.next_action_url,
    failure: row.failure_code ? { code: row.failure_code, declineCode: row.decline_code, reason: row.failure_reason ?? row.failure_code } : null,
    cancelReason: row.cancel_reason, refunded: money(row.amount_refunded), refundPending: money(row.refund_pending),
    refunds: refunds.map(refundViewOf), createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}
