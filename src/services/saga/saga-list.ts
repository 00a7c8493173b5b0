import { sql, type Kysely } from 'kysely';
import type { Money } from '../../contracts/money.ts';
import { DEADLINE_GRACE_MS } from '../../platform/observability/saga-gauges.ts';
import { sagaDb, type SagaStatus } from '../../platform/saga/saga-tables.ts';

export interface SagaListFilter {
  status?: SagaStatus;
  type?: string;
  customerId?: string;
  /** Started at least this long ago. */
  olderThanMs?: number;
  /** Started at most this long ago. */
  newerThanMs?: number;
  /** Only active sagas that need a look: a command resent, the deadline passed, or no change for `stuckAfterMs`. */
  stuck?: boolean;
  limit: number;
}

/** One row of the operator's saga list; the timeline is GET /sagas/:sagaId. */
export interface SagaSummary {
  id: string;
  type: string;
  orderId: string;
  status: SagaStatus;
  customerId: string | null;
  total: Money | null;
  failureReason: string | null;
  resends: number;
  deadlineAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The newest sagas matching the filter (an index on created_at; the filters narrow what it walks). */
export async function listSagas(db: Kysely<unknown>, schema: string, filter: SagaListFilter, stuckAfterMs: number): Promise<SagaSummary[]> {
  const now = Date.now();
  let query = sagaDb(db, schema).selectFrom('saga_instances').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.type) query = query.where('saga_type', '=', filter.type);
  if (filter.customerId) query = query.where(sql<string>`data::jsonb ->> 'customerId'`, '=', filter.customerId);
  if (filter.olderThanMs !== undefined) query = query.where('created_at', '<=', new Date(now - filter.olderThanMs));
  if (filter.newerThanMs !== undefined) query = query.where('created_at', '>=', new Date(now - filter.newerThanMs));
  if (filter.stuck) {
    query = query.where('status', 'in', ['RUNNING', 'COMPENSATING']).where((eb) => eb.or([
      eb('attempts', '>', 0), eb('deadline_at', '<', new Date(now - DEADLINE_GRACE_MS)), eb('updated_at', '<', new Date(now - stuckAfterMs)),
    ]));
  }
  const rows = await query.execute();
  return rows.map((row) => {
    const data = JSON.parse(row.data) as { customerId?: unknown; total?: unknown; amount?: unknown };
    const total = (data.total ?? data.amount ?? null) as Money | null;
    return {
      id: row.id, type: row.saga_type, orderId: row.order_id, status: row.status,
      customerId: typeof data.customerId === 'string' ? data.customerId : null, total,
      failureReason: row.failure_reason, resends: row.attempts, deadlineAt: row.deadline_at?.toISOString() ?? null,
      createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
    };
  });
}
