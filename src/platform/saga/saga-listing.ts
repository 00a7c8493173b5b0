import type { Kysely } from 'kysely';
import { sagaDb, type SagaStatus } from './saga-tables.ts';

export interface SagaListFilter {
  status?: SagaStatus;
  type?: string;
  orderId?: string;
  /** Only sagas still running whose current command had to be resent (what an operator looks at first). */
  stuck?: boolean;
  /** Only sagas created at least this long ago. */
  olderThanMs?: number;
  limit?: number;
}

export interface SagaSummary {
  id: string;
  type: string;
  orderId: string;
  status: SagaStatus;
  stepIndex: number;
  resends: number;
  stuck: boolean;
  failureReason: string | null;
  deadlineAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The sagas of one orchestrator schema matching a filter, newest first (operators' list; the timeline is per saga). */
export async function listSagas(db: Kysely<unknown>, schema: string, filter: SagaListFilter = {}): Promise<SagaSummary[]> {
  let query = sagaDb(db, schema).selectFrom('saga_instances')
    .select(['id', 'saga_type', 'order_id', 'status', 'step_index', 'attempts', 'failure_reason', 'deadline_at', 'created_at', 'updated_at'])
    .orderBy('created_at', 'desc').orderBy('id').limit(filter.limit ?? 50);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.type) query = query.where('saga_type', '=', filter.type);
  if (filter.orderId) query = query.where('order_id', '=', filter.orderId);
  if (filter.stuck) query = query.where('status', 'in', ['RUNNING', 'COMPENSATING']).where('attempts', '>', 0);
  if (filter.olderThanMs !== undefined) query = query.where('created_at', '<=', new Date(Date.now() - filter.olderThanMs));
  return (await query.execute()).map((row) => ({
    id: row.id, type: row.saga_type, orderId: row.order_id, status: row.status, stepIndex: row.step_index, resends: row.attempts,
    stuck: (row.status === 'RUNNING' || row.status === 'COMPENSATING') && row.attempts > 0, failureReason: row.failure_reason,
    deadlineAt: row.deadline_at?.toISOString() ?? null, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  }));
}
