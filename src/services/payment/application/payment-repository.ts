import type { Kysely, Updateable } from 'kysely';
import { childRowsAsJson, rowsFromJson } from '../../../platform/database/json-rows.ts';
import type { PaymentState } from '../domain/payment-machine.ts';
import { paymentDb, type PaymentsTable } from '../store/tables.ts';
import type { PaymentRow, RefundRow } from './payment-view.ts';

export function stateOf(row: PaymentRow): PaymentState {
  return { status: row.status, amount: row.amount, refunded: row.amount_refunded, refundPending: row.refund_pending };
}

/** Reads and locks one payment for the rest of the transaction: every change to a payment is serialised on its row. */
export function lockPayment(trx: Kysely<unknown>, schema: string, paymentId: string): Promise<PaymentRow | undefined> {
  return paymentDb(trx, schema).selectFrom('payments').selectAll().where('id', '=', paymentId).forUpdate().executeTakeFirst();
}

export function findPayment(db: Kysely<unknown>, schema: string, paymentId: string): Promise<PaymentRow | undefined> {
  return paymentDb(db, schema).selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
}

export function findPaymentByIntent(db: Kysely<unknown>, schema: string, intentId: string): Promise<PaymentRow | undefined> {
  return paymentDb(db, schema).selectFrom('payments').selectAll().where('stripe_payment_intent_id', '=', intentId).executeTakeFirst();
}

/** A payment and its refunds (oldest first) in one statement: what a payment's view shows. */
export async function findPaymentWithRefunds(db: Kysely<unknown>, schema: string, paymentId: string): Promise<{ row: PaymentRow; refunds: RefundRow[] } | undefined> {
  const found = await paymentDb(db, schema).selectFrom('payments').selectAll('payments')
    .select(childRowsAsJson(`${schema}.refunds`, 'payment_id', 'payments.id', ['created_at', 'id']).as('refunds'))
    .where('payments.id', '=', paymentId).executeTakeFirst();
  if (!found) return undefined;
  const { refunds, ...row } = found;
  return { row, refunds: rowsFromJson<RefundRow>(refunds, ['created_at', 'updated_at']) };
}

/** Writes a locked payment's changes and bumps its version; returns the row as it now is. */
export async function updatePayment(trx: Kysely<unknown>, schema: string, row: PaymentRow, changes: Updateable<PaymentsTable>): Promise<PaymentRow> {
  const updated = await paymentDb(trx, schema).updateTable('payments')
    .set({ ...changes, version: row.version + 1, updated_at: new Date() })
    .where('id', '=', row.id).where('version', '=', row.version).returningAll().executeTakeFirst();
  if (!updated) throw new Error(`payment ${row.id} changed under a lock (version ${row.version})`);
  return updated;
}

export function stateChanges(state: PaymentState): Updateable<PaymentsTable> {
  return { status: state.status, amount_refunded: state.refunded, refund_pending: state.refundPending };
}
