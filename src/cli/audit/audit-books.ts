/**
 * The invariant auditor: reads every service's books and the gateway's
 * records, and checks that no money, stock, notice or event was lost or
 * counted twice.
 *
 * Interface (also the deterministic simulation's oracle):
 *
 *   auditBooks(db, { schemas, gateway, readAt? }) → Promise<AuditReport>
 *     db       a Kysely connection (PostgreSQL or PGlite) holding the schemas
 *     schemas  where each service's tables are: auditSchemas(namespace) gives
 *              them for a deployment (PAYSAGA_NAMESPACE applied, as the services do)
 *     gateway  a GatewayRecords source — stripeGatewayRecords({ apiKey, apiBase })
 *              reads Stripe's or the simulator's API through the SDK; any object
 *              with read(): Promise<{ intents, refunds }> will do; null skips the
 *              gateway cross-checks (reported as skipped)
 *     readAt   the instant running sagas are judged against (default: now)
 *
 *   checkBooks(books) → AuditReport      pure: the same checks over a Books snapshot
 *   readBooks(db, schemas, gateway)      the snapshot auditBooks checks
 *
 * AuditReport = { readAt, violations, checks: [{ name, description, checked,
 * violations: [{ ids: { orderId?, paymentId?, … }, message }], skipped? }] }.
 * Audit when the system is quiet (load stopped, outboxes drained): what is
 * still in flight is judged by the sagas' deadlines, never by timing.
 */
import type { Kysely } from 'kysely';
import { namespacedSchema } from '../../platform/messaging/open-transport.ts';
import { SERVICE_SCHEMAS, type ServiceName } from '../compose.ts';
import type { Books } from './books.ts';
import { checkDeadLetters, checkEventsAppliedOnce, checkOutboxPublished } from './checks/messages.ts';
import { checkNoDoubleCapture, checkOrderMoney, checkPaymentsMatchGateway, checkRefundsWithinCapture } from './checks/money.ts';
import { orderLedgers } from './checks/ledger.ts';
import { checkNotices } from './checks/notices.ts';
import { checkSagasSettled } from './checks/sagas.ts';
import { checkStockConserved } from './checks/stock.ts';
import { readBooks, type AuditSchemas, type GatewayRecords } from './read-books.ts';
import type { AuditReport } from './report.ts';

export type { AuditSchemas, GatewayRecords } from './read-books.ts';
export type { AuditReport, CheckResult, Violation } from './report.ts';
export type { Books } from './books.ts';
export { readBooks } from './read-books.ts';
export { stripeGatewayRecords } from './gateway-records.ts';

/** The schema of each service in a deployment (`<namespace>_<schema>` when a namespace is set), as src/cli/compose.ts names them. */
export function auditSchemas(namespace: string | null): AuditSchemas {
  const of = (service: ServiceName): string => namespacedSchema({ namespace }, SERVICE_SCHEMAS[service]);
  return { payment: of('payment'), order: of('order'), inventory: of('inventory'), delivery: of('delivery'), notification: of('notification'), saga: of('saga') };
}

/** Every invariant over one snapshot of the books. */
export function checkBooks(books: Books): AuditReport {
  const ledgers = orderLedgers(books);
  const checks = [
    checkSagasSettled(books),
    checkOrderMoney(ledgers),
    checkNoDoubleCapture(ledgers, books),
    checkRefundsWithinCapture(books),
    checkPaymentsMatchGateway(books),
    checkNotices(books, ledgers),
    checkStockConserved(books),
    checkOutboxPublished(books),
    checkEventsAppliedOnce(books),
    checkDeadLetters(books),
  ];
  return { readAt: books.readAt.toISOString(), checks, violations: checks.reduce((sum, check) => sum + check.violations.length, 0) };
}

export async function auditBooks(db: Kysely<unknown>, options: { schemas: AuditSchemas; gateway: GatewayRecords | null; readAt?: Date }): Promise<AuditReport> {
  return checkBooks(await readBooks(db, options.schemas, options.gateway, options.readAt));
}
