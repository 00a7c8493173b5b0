import { sql, type Kysely } from 'kysely';
import { auditBooks, stripeGatewayRecords } from '../audit/audit-books.ts';
import type { ServiceName } from '../compose.ts';

export interface OracleViolation {
  check: string;
  message: string;
}

/** What a drained simulated deployment offers its judge. */
export interface OracleInput {
  db: Kysely<unknown>;
  schemas: Record<ServiceName, string>;
  /** The gateway simulator's API (its own records of intents and refunds). */
  gateway: { apiKey: string; apiBase: string };
  /** The virtual clock's now: deadlines are judged against it. */
  readAt: Date;
}

/** Judges the books of a drained simulated deployment; every violation names what broke, with ids. */
export type Oracle = (input: OracleInput) => Promise<OracleViolation[]>;

/** The invariant auditor of `paysaga audit` (src/cli/audit), over the services' books and the gateway's records. */
export const auditorInvariants: Oracle = async ({ db, schemas, gateway, readAt }) => {
  const report = await auditBooks(db, { schemas, gateway: stripeGatewayRecords(gateway), readAt });
  return report.checks.flatMap((check) => check.violations.map((violation) => ({
    check: check.name, message: `${violation.message} (${Object.entries(violation.ids).map(([name, id]) => `${name} ${id}`).join(', ')})`,
  })));
};

/** Liveness: once the run drained (faults off, clock past every deadline) no saga may still be running. */
export const sagasTerminal: Oracle = async ({ db, schemas }) => {
  const rows = await sql<{ id: string; status: string; step_index: number }>`
    select id, status, step_index from ${sql.table(`${schemas.saga}.saga_instances`)} where status not in ('COMPLETED', 'COMPENSATED', 'FAILED') order by id`.execute(db);
  return rows.rows.map((row) => ({ check: 'saga-terminal', message: `saga ${row.id} still ${row.status} at step ${row.step_index} after the drain` }));
};

/** An order left between states after the drain: a cancellation nobody refunded, a payment nobody answered. */
export const ordersSettled: Oracle = async ({ db, schemas }) => {
  const rows = await sql<{ id: string; status: string }>`
    select id, status from ${sql.table(`${schemas.order}.orders`)} where status in ('PAYMENT_PENDING', 'PENDING', 'CANCELLING') order by id`.execute(db);
  return rows.rows.map((row) => ({ check: 'order-settled', message: `order ${row.id} still ${row.status} after the drain` }));
};

/** Runs every oracle and gathers what they found. */
export function allOf(...oracles: Oracle[]): Oracle {
  return async (input) => {
    const found: OracleViolation[] = [];
    for (const oracle of oracles) found.push(...await oracle(input));
    return found;
  };
}
