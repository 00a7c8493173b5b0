import type { Books, NotificationRow } from '../books.ts';
import { CheckTally, type CheckResult } from '../report.ts';
import type { OrderLedger } from './ledger.ts';

/** What a notice tells the customer happened to their money. */
export type NoticeClaim = 'refunded' | 'paid' | 'not-charged' | 'cancelled' | 'none';

/** A notice says money came back when its kind is order-refunded or its text says the payment is (or was) refunded; "could not be refunded" says no such thing. */
export function claimOf(notice: Pick<NotificationRow, 'kind' | 'message'>): NoticeClaim {
  if (notice.kind === 'order-refunded') return 'refunded';
  if (/payment is refunded|was refunded|already been refunded/.test(notice.message)) return 'refunded';
  if (notice.kind === 'order-confirmed') return 'paid';
  if (notice.kind === 'payment-failed') return 'not-charged';
  if (notice.kind === 'order-cancelled') return 'cancelled';
  return 'none';
}

const CANCELLED_STATUSES: ReadonlySet<string> = new Set(['CANCELLED', 'PAYMENT_FAILED', 'REFUNDED', 'CANCELLING']);

/**
 * Every customer notice matches what happened: "refunded" only with money
 * refunded, "confirmed" only with money captured, "nothing was charged" only
 * with nothing kept, "cancelled" only for an order that is cancelled (or never
 * existed).
 */
export function checkNotices(books: Books, ledgers: ReadonlyMap<string, OrderLedger>): CheckResult {
  const tally = new CheckTally();
  for (const notice of books.notifications) {
    tally.look();
    const ledger = ledgers.get(notice.orderId);
    const ids = { notificationId: notice.id, orderId: notice.orderId, sagaId: notice.correlationId };
    const captured = ledger?.captured ?? 0;
    const refunded = ledger?.refunded ?? 0;
    const status = ledger?.order?.status ?? null;
    switch (claimOf(notice)) {
      case 'refunded':
        if (refunded <= 0) tally.violation(ids, `the customer was told of a refund (${notice.kind}) but nothing was refunded (captured ${captured})`);
        break;
      case 'paid':
        if (captured <= 0) tally.violation(ids, 'the customer was told the order is confirmed and paid, but nothing was captured');
        break;
      case 'not-charged':
        if (!ledger?.inFlight && captured - refunded !== 0) tally.violation(ids, `the customer was told nothing was charged, but ${captured - refunded} is kept`);
        break;
      case 'cancelled':
        if (status !== null && !CANCELLED_STATUSES.has(status)) tally.violation(ids, `the customer was told the order is cancelled, but it is ${status}`);
        break;
      case 'none':
        tally.violation(ids, `a notice of unknown kind ${notice.kind}`);
    }
  }
  return tally.result('notices-match-outcomes', 'every customer notice matches what happened to the order and its money');
}
