import { sql, type Kysely } from 'kysely';
import type { Logger } from '../../../platform/observability/logger.ts';
import type { FailedAttempt } from '../gateway/stripe-card-gateway.ts';
import { paymentDb } from '../store/tables.ts';

/** A stored failed attempt: what the gateway adapter reported, with its context flattened and an id and time. */
export interface GatewayErrorEntry extends Omit<FailedAttempt, 'context'> {
  id: string;
  paymentId: string | null;
  refundId: string | null;
  idempotencyKey: string | null;
  occurredAt: string;
}

export interface GatewayErrorStatistic {
  operation: string;
  errorType: string;
  errorCode: string | null;
  count: number;
  lastAt: string;
}

/**
 * Every failed gateway attempt, with its context (the .NET seed's error
 * store): what was called, for which payment or refund, with which
 * idempotency key, and how it failed. Writes are best-effort: recording an
 * error must never fail the payment it is about.
 */
export class GatewayErrorStore {
  readonly #db: Kysely<unknown>;
  readonly #schema: string;
  readonly #writes = new Set<Promise<void>>();
  readonly #logger: Logger;

  constructor(db: Kysely<unknown>, schema: string, logger: Logger) {
    this.#db = db;
    this.#schema = schema;
    this.#logger = logger;
  }

  record(attempt: FailedAttempt): void {
    this.#logger.warn({ ...attempt.context, operation: attempt.operation, attempt: attempt.attempt, errorType: attempt.errorType, errorCode: attempt.errorCode,
      declineCode: attempt.declineCode, httpStatus: attempt.httpStatus, retryable: attempt.retryable, error: attempt.message }, 'gateway call failed');
    const write = paymentDb(this.#db, this.#schema).insertInto('gateway_errors').values({
      operation: attempt.operation, payment_id: attempt.context.paymentId ?? null, refund_id: attempt.context.refundId ?? null,
      idempotency_key: attempt.context.idempotencyKey ?? null, attempt: attempt.attempt, error_type: attempt.errorType,
      error_code: attempt.errorCode, decline_code: attempt.declineCode, http_status: attempt.httpStatus,
      message: attempt.message.slice(0, 2_000), retryable: attempt.retryable,
    }).execute().then(() => undefined, (error: unknown) => { this.#logger.error({ err: error, operation: attempt.operation }, 'recording a gateway error failed'); });
    const tracked = write.finally(() => this.#writes.delete(tracked));
    this.#writes.add(tracked);
  }

  /** Waits for writes in flight (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all(this.#writes);
  }

  async list(options: { limit?: number; paymentId?: string } = {}): Promise<GatewayErrorEntry[]> {
    let query = paymentDb(this.#db, this.#schema).selectFrom('gateway_errors').selectAll().orderBy('id', 'desc').limit(Math.min(options.limit ?? 50, 500));
    if (options.paymentId) query = query.where('payment_id', '=', options.paymentId);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id.toString(), operation: row.operation, paymentId: row.payment_id, refundId: row.refund_id, idempotencyKey: row.idempotency_key,
      attempt: row.attempt, errorType: row.error_type, errorCode: row.error_code, declineCode: row.decline_code, httpStatus: row.http_status,
      message: row.message, retryable: row.retryable, occurredAt: row.occurred_at.toISOString(),
    }));
  }

  async statistics(sinceMs = 24 * 3_600_000): Promise<GatewayErrorStatistic[]> {
    const rows = await paymentDb(this.#db, this.#schema).selectFrom('gateway_errors')
      .select(['operation', 'error_type', 'error_code', sql<string>`count(*)::text`.as('count'), sql<Date>`max(occurred_at)`.as('last_at')])
      .where('occurred_at', '>=', new Date(Date.now() - sinceMs))
      .groupBy(['operation', 'error_type', 'error_code']).orderBy(sql`count(*)`, 'desc').execute();
    return rows.map((row) => ({
      operation: row.operation, errorType: row.error_type, errorCode: row.error_code, count: Number(row.count), lastAt: new Date(row.last_at).toISOString(),
    }));
  }
}
