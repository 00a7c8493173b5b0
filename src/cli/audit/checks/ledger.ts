import type { Books, GatewayIntent, GatewayRefund, OrderRow, PaymentRow, RefundRow, SagaRow } from '../books.ts';
import { isInFlight } from './sagas.ts';

export const CAPTURED_PAYMENT_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED']);

/** Everything the books say about one order's money, from the services and from the gateway. */
export interface OrderLedger {
  orderId: string;
  order: OrderRow | null;
  payments: PaymentRow[];
  refunds: RefundRow[];
  intents: GatewayIntent[];
  gatewayRefunds: GatewayRefund[];
  sagas: SagaRow[];
  /** A saga of this order is still within its deadline: its money may still move. */
  inFlight: boolean;
  /** Captured and refunded, by the gateway's records when they were read, else by the payment service's. */
  captured: number;
  refunded: number;
  /** What the order's partial refunds say they refunded (their `refunded` amounts): what a paid order may have given back. */
  announcedRefunds: number;
}

const amountOf = (value: unknown): number => (typeof value === 'object' && value !== null && typeof (value as { amount?: unknown }).amount === 'number' ? (value as { amount: number }).amount : 0);

function entry(map: Map<string, OrderLedger>, orderId: string): OrderLedger {
  let ledger = map.get(orderId);
  if (!ledger) {
    ledger = { orderId, order: null, payments: [], refunds: [], intents: [], gatewayRefunds: [], sagas: [], inFlight: false, captured: 0, refunded: 0, announcedRefunds: 0 };
    map.set(orderId, ledger);
  }
  return ledger;
}

/** One ledger per order id that any service or the gateway knows. */
export function orderLedgers(books: Books): Map<string, OrderLedger> {
  const ledgers = new Map<string, OrderLedger>();
  for (const order of books.orders) entry(ledgers, order.id).order = order;
  const paymentOrder = new Map<string, string>();
  const intentOrder = new Map<string, string>();
  for (const payment of books.payments) {
    entry(ledgers, payment.orderId).payments.push(payment);
    paymentOrder.set(payment.id, payment.orderId);
    if (payment.intentId) intentOrder.set(payment.intentId, payment.orderId);
  }
  for (const refund of books.refunds) {
    const orderId = paymentOrder.get(refund.paymentId);
    if (orderId !== undefined) entry(ledgers, orderId).refunds.push(refund);
  }
  for (const saga of books.sagas) {
    const ledger = entry(ledgers, saga.orderId);
    ledger.sagas.push(saga);
    if (isInFlight(saga, books.readAt)) ledger.inFlight = true;
    if (saga.sagaType === 'partial-refund') ledger.announcedRefunds += amountOf(saga.data.refunded);
  }
  if (books.gateway) {
    for (const intent of books.gateway.intents) {
      const orderId = intentOrder.get(intent.id) ?? intent.metadata.orderId;
      if (orderId === undefined) continue;
      intentOrder.set(intent.id, orderId);
      entry(ledgers, orderId).intents.push(intent);
    }
    for (const refund of books.gateway.refunds) {
      const orderId = (refund.intentId === null ? undefined : intentOrder.get(refund.intentId)) ?? refund.metadata.orderId;
      if (orderId !== undefined) entry(ledgers, orderId).gatewayRefunds.push(refund);
    }
  }
  for (const ledger of ledgers.values()) {
    if (books.gateway) {
      ledger.captured = ledger.intents.reduce((sum, intent) => sum + intent.amountReceived, 0);
      ledger.refunded = ledger.gatewayRefunds.filter((refund) => refund.status === 'succeeded').reduce((sum, refund) => sum + refund.amount, 0);
    } else {
      ledger.captured = ledger.payments.filter((payment) => CAPTURED_PAYMENT_STATUSES.has(payment.status)).reduce((sum, payment) => sum + payment.amount, 0);
      ledger.refunded = ledger.payments.reduce((sum, payment) => sum + payment.amountRefunded, 0);
    }
  }
  return ledgers;
}
