import { sql, type Kysely } from 'kysely';
import type { MoneyAtRisk } from '../../platform/observability/saga-gauges.ts';

/**
 * Money held in checkouts that have not ended: every running checkout (its
 * payment is captured or may still be), and compensating ones that captured
 * (the refund is not done). Reads only the active sagas (a partial index).
 */
export async function readCheckoutMoneyAtRisk(db: Kysely<unknown>, schema: string, sagaType: string): Promise<MoneyAtRisk[]> {
  const result = await sql<{ currency: string; amount: string }>`
    select data::jsonb -> 'total' ->> 'currency' as currency, sum((data::jsonb -> 'total' ->> 'amount')::bigint) as amount
    from ${sql.id(schema)}.saga_instances
    where saga_type = ${sagaType} and status in ('RUNNING', 'COMPENSATING')
      and (status = 'RUNNING' or coalesce((data::jsonb ->> 'captured')::boolean, false))
    group by 1`.execute(db);
  return result.rows.map((row) => ({ currency: row.currency, amount: Number(row.amount) }));
}
