import type { Books } from '../books.ts';
import { CheckTally, skipped, type CheckResult } from '../report.ts';
import { CAPTURED_PAYMENT_STATUSES, type OrderLedger } from './ledger.ts';

/** Order statuses in which the customer has paid the whole total and keeps the order (partial refunds aside). */
const PAID_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'CONFIRMED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'DELIVERED']);

/**
 * Per order, captured − refunded is what its status implies: a paid order
 * (PENDING … DELIVERED) captured its total once and kept it, less what its
 * partial refunds say they gave back; a REFUNDED order captured its total and
 * gave all of it back; a PAYMENT_FAILED or CANCELLED order (or one never
 * created) holds nothing. An order whose saga is still within its deadline is
 * in flight and not judged.
 */
export function checkOrderMoney(ledgers: ReadonlyMap<string, OrderLedger>): CheckResult {
  const tally = new CheckTally();
  for (const ledger of ledgers.values()) {
    if (ledger.inFlight) continue;
    tally.look();
    const net = ledger.captured - ledger.refunded;
    const ids = { orderId: ledger.orderId, ...(ledger.payments[0] ? { paymentId: ledger.payments[0].id } : {}) };
    const status = ledger.order?.status ?? 'none (never created)';
    const sums = `captured ${ledger.captured}, refunded ${ledger.refunded}`;
    if (ledger.order && PAID_STATUSES.has(ledger.order.status)) {
      if (ledger.captured !== ledger.order.totalAmount) tally.violation(ids, `order ${status} with total ${ledger.order.totalAmount} but ${sums}`);
      else if (ledger.refunded !== ledger.announcedRefunds) tally.violation(ids, `order ${status}: ${sums}, but its partial refunds account for ${ledger.announcedRefunds} refunded`);
    } else if (ledger.order?.status === 'REFUNDED') {
      if (ledger.captured !== ledger.order.totalAmount || net !== 0) tally.violation(ids, `order REFUNDED with total ${ledger.order.totalAmount} but ${sums}`);
    } else if (net !== 0) {
      tally.violation(ids, `order ${status} should hold no money, but ${sums} (net ${net})`);
    }
  }
  return tally.result('order-money', 'per order, captured − refunded equals what its status implies');
}

/** No order captured twice: one captured payment per order, one captured intent per order and one captured charge per intent at the gateway. */
export function checkNoDoubleCapture(ledgers: ReadonlyMap<string, OrderLedger>, books: Books): CheckResult {
  const tally = new CheckTally();
  for (const ledger of ledgers.values()) {
    tally.look();
    const capturedPayments = ledger.payments.filter((payment) => CAPTURED_PAYMENT_STATUSES.has(payment.status));
    if (capturedPayments.length > 1) tally.violation({ orderId: ledger.orderId, paymentIds: capturedPayments.map((p) => p.id).join(',') }, `${capturedPayments.length} payments of the order were captured`);
    if (!books.gateway) continue;
    const capturedIntents = ledger.intents.filter((intent) => intent.amountReceived > 0);
    if (capturedIntents.length > 1) tally.violation({ orderId: ledger.orderId, intentIds: capturedIntents.map((i) => i.id).join(',') }, `${capturedIntents.length} payment intents of the order captured money at the gateway`);
    for (const intent of ledger.intents) {
      if (intent.capturedCharges > 1) tally.violation({ orderId: ledger.orderId, intentId: intent.id }, `intent captured by ${intent.capturedCharges} charges`);
      if (intent.amountReceived > intent.amount) tally.violation({ orderId: ledger.orderId, intentId: intent.id }, `intent received ${intent.amountReceived}, more than its amount ${intent.amount}`);
    }
  }
  return tally.result('no-double-capture', 'no payment is captured twice (services and gateway)');
}

/** No refund above capture: per payment and per intent, refunds never exceed what was captured, and the payment's refunded total is the sum of its refunds. */
export function checkRefundsWithinCapture(books: Books): CheckResult {
  const tally = new CheckTally();
  const refundsOf = new Map<string, number>();
  for (const refund of books.refunds) if (refund.status === 'succeeded') refundsOf.set(refund.paymentId, (refundsOf.get(refund.paymentId) ?? 0) + refund.amount);
  for (const payment of books.payments) {
    tally.look();
    const ids = { paymentId: payment.id, orderId: payment.orderId };
    const captured = CAPTURED_PAYMENT_STATUSES.has(payment.status) ? payment.amount : 0;
    const sum = refundsOf.get(payment.id) ?? 0;
    if (payment.amountRefunded + payment.refundPending > captured) tally.violation(ids, `payment ${payment.status} captured ${captured} but records ${payment.amountRefunded} refunded and ${payment.refundPending} pending`);
    if (sum !== payment.amountRefunded) tally.violation(ids, `payment records ${payment.amountRefunded} refunded but its succeeded refunds add up to ${sum}`);
  }
  const gatewayRefunded = new Map<string, number>();
  for (const refund of books.gateway?.refunds ?? []) {
    if (refund.status === 'succeeded' && refund.intentId !== null) gatewayRefunded.set(refund.intentId, (gatewayRefunded.get(refund.intentId) ?? 0) + refund.amount);
  }
  for (const intent of books.gateway?.intents ?? []) {
    tally.look();
    const refunded = gatewayRefunded.get(intent.id) ?? 0;
    if (refunded > intent.amountReceived) tally.violation({ intentId: intent.id, orderId: intent.metadata.orderId ?? '' }, `gateway refunded ${refunded} of an intent that captured ${intent.amountReceived}`);
  }
  return tally.result('refunds-within-capture', 'no refund above capture; a payment\'s refunded total is the sum of its refunds');
}

/** The payment service's books agree with the gateway's: captured where the gateway captured, refunded what the gateway refunded, no refund unknown to either side. */
export function checkPaymentsMatchGateway(books: Books): CheckResult {
  const description = 'the payment service\'s payments and refunds agree with the gateway\'s records';
  const gateway = books.gateway;
  if (!gateway) return skipped('payments-match-gateway', description, 'the gateway\'s records were not read');
  const tally = new CheckTally();
  const intents = new Map(gateway.intents.map((intent) => [intent.id, intent]));
  const gatewayRefunds = new Map(gateway.refunds.map((refund) => [refund.id, refund]));
  const localRefundIds = new Set(books.refunds.map((refund) => refund.stripeRefundId).filter((id) => id !== null));
  for (const payment of books.payments) {
    tally.look();
    const ids = { paymentId: payment.id, orderId: payment.orderId, ...(payment.intentId ? { intentId: payment.intentId } : {}) };
    const intent = payment.intentId ? intents.get(payment.intentId) : undefined;
    const capturedHere = CAPTURED_PAYMENT_STATUSES.has(payment.status);
    const capturedThere = (intent?.amountReceived ?? 0) > 0;
    if (capturedHere && !capturedThere) tally.violation(ids, `payment ${payment.status} but the gateway captured nothing for it`);
    if (!capturedHere && capturedThere) tally.violation(ids, `the gateway captured ${intent?.amountReceived ?? 0} but the payment is ${payment.status}`);
  }
  for (const refund of books.refunds) {
    tally.look();
    const ids = { refundId: refund.id, paymentId: refund.paymentId };
    const there = refund.stripeRefundId ? gatewayRefunds.get(refund.stripeRefundId) : undefined;
    if (refund.status === 'succeeded' && (!there || there.status !== 'succeeded' || there.amount !== refund.amount)) {
      tally.violation(ids, `refund succeeded for ${refund.amount} here, but the gateway has ${there ? `${there.status} ${there.amount}` : 'no such refund'}`);
    }
  }
  for (const refund of gateway.refunds) {
    tally.look();
    if (refund.status === 'succeeded' && !localRefundIds.has(refund.id)) {
      tally.violation({ stripeRefundId: refund.id, orderId: refund.metadata.orderId ?? '', intentId: refund.intentId ?? '' }, `the gateway refunded ${refund.amount} that no refund of the payment service records`);
    }
  }
  return tally.result('payments-match-gateway', description);
}
