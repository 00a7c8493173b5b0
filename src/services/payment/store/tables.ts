import type { ColumnType, Generated, Kysely } from 'kysely';
import type { CurrencyCode } from '../../../contracts/money.ts';
import type { PaymentStatus } from '../domain/payment-machine.ts';

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

export interface PaymentsTable {
  id: string;
  order_id: string;
  customer_id: string;
  amount: number;
  currency: CurrencyCode;
  status: PaymentStatus;
  description: string | null;
  stripe_payment_intent_id: string | null;
  client_secret: string | null;
  /** Test payment method token (pm_…) given to confirm; never card data. */
  payment_method: string | null;
  stripe_charge_id: string | null;
  receipt_url: string | null;
  next_action_url: string | null;
  failure_code: string | null;
  decline_code: string | null;
  failure_reason: string | null;
  cancel_reason: string | null;
  amount_refunded: number;
  refund_pending: number;
  correlation_id: string;
  causation_id: string | null;
  traceparent: string;
  version: number;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: Date;
}

export interface RefundsTable {
  id: string;
  payment_id: string;
  /** The caller's handle for this refund (API Idempotency-Key or the event's refundRequestId): one refund per handle. */
  refund_request_id: string;
  amount: number;
  currency: CurrencyCode;
  reason: string;
  status: RefundStatus;
  stripe_refund_id: string | null;
  failure_reason: string | null;
  correlation_id: string;
  causation_id: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: Date;
}

export interface WebhookReceiptsTable {
  stripe_event_id: string;
  type: string;
  payment_id: string | null;
  /** What the receipt did: applied (moved the payment), ignored (stale, duplicate effect or unrelated), unmatched. */
  outcome: string;
  received_at: ColumnType<Date, Date | undefined, never>;
}

export interface GatewayErrorsTable {
  id: Generated<bigint>;
  operation: string;
  payment_id: string | null;
  refund_id: string | null;
  idempotency_key: string | null;
  attempt: number;
  error_type: string;
  error_code: string | null;
  decline_code: string | null;
  http_status: number | null;
  message: string;
  retryable: boolean;
  occurred_at: ColumnType<Date, Date | undefined, never>;
}

/** The parties of an order: from the saga's CreatePayment (customer and restaurant), or the first POST /payments for it (customer only). */
export interface OrderPartiesTable {
  order_id: string;
  customer_id: string;
  restaurant_id: string | null;
}

export interface PaymentTables {
  order_parties: OrderPartiesTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  webhook_receipts: WebhookReceiptsTable;
  gateway_errors: GatewayErrorsTable;
}

export type PaymentDb = Kysely<PaymentTables>;

export function paymentDb(db: Kysely<unknown>, schema: string): PaymentDb {
  return (db as unknown as PaymentDb).withSchema(schema);
}
