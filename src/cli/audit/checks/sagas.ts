import type { Books } from '../books.ts';
import { CheckTally, type CheckResult } from '../report.ts';

export const TERMINAL_SAGA_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

/** A saga still at work whose deadline (payment wait, command timeout or compensation retry) has not passed: in flight, not stuck. */
export function isInFlight(saga: Books['sagas'][number], readAt: Date): boolean {
  return !TERMINAL_SAGA_STATUSES.has(saga.status) && saga.deadlineAt !== null && saga.deadlineAt > readAt;
}

/** Every saga has ended, or waits for something whose deadline is still ahead (a deadline that passed unfired, or none at all, is a stuck saga). */
export function checkSagasSettled(books: Books): CheckResult {
  const tally = new CheckTally();
  for (const saga of books.sagas) {
    tally.look();
    if (TERMINAL_SAGA_STATUSES.has(saga.status) || isInFlight(saga, books.readAt)) continue;
    const where = `${saga.sagaType} saga ${saga.status} at step ${saga.stepIndex}`;
    tally.violation({ sagaId: saga.id, orderId: saga.orderId }, saga.deadlineAt === null
      ? `${where} with no deadline: nothing will move it`
      : `${where}, its deadline passed ${Math.round((books.readAt.getTime() - saga.deadlineAt.getTime()) / 1000)} s before the audit`);
  }
  return tally.result('sagas-settled', 'every saga is terminal, or waiting within its deadline');
}
