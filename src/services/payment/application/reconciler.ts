import type { Kysely } from 'kysely';
import { fallbackLogger, type Logger } from '../../../platform/observability/logger.ts';
import { RepeatingTask } from '../../../platform/utils/repeating-task.ts';
import { GatewayFailure } from '../gateway/card-gateway.ts';
import { paymentDb } from '../store/tables.ts';
import type { PaymentApplication } from './payment-application.ts';

export interface ReconcilerOptions {
  db: Kysely<unknown>;
  schema: string;
  app: PaymentApplication;
  /** A payment or refund untouched this long in a non-terminal state is re-read from the gateway. */
  staleAfterMs?: number;
  intervalMs?: number;
  batchSize?: number;
  logger?: Logger;
}

export interface ReconcileReport {
  payments: number;
  settled: number;
  refunds: number;
  faults: number;
}

/**
 * Re-reads from the gateway every payment (and refund) left unsettled past a
 * threshold, so a lost webhook or a crash between a gateway call and its
 * transaction never leaves a payment — or the saga waiting on it — stuck.
 * Every call reuses the original idempotency key, so a re-run repeats nothing.
 */
export class Reconciler {
  readonly #options: Required<Omit<ReconcilerOptions, 'logger'>>;
  readonly #logger: Logger;
  readonly #passes: RepeatingTask;

  constructor(options: ReconcilerOptions) {
    const { logger, ...rest } = options;
    this.#options = { staleAfterMs: 30_000, intervalMs: 5_000, batchSize: 100, ...rest };
    this.#logger = logger ?? fallbackLogger();
    this.#passes = new RepeatingTask(async () => {
      const report = await this.reconcileOnce();
      if (report.payments > 0 || report.refunds > 0) this.#logger.info(report, 'reconciler pass');
    }, {
      intervalMs: this.#options.intervalMs,
      onError: (error) => { this.#logger.error({ err: error, nextPassInMs: this.#options.intervalMs }, 'reconciler pass failed'); },
    });
  }

  start(): void {
    this.#passes.start();
  }

  stop(): Promise<void> {
    return this.#passes.stop();
  }

  async reconcileOnce(): Promise<ReconcileReport> {
    const { db, schema, app, staleAfterMs, batchSize } = this.#options;
    const before = new Date(Date.now() - staleAfterMs);
    const report: ReconcileReport = { payments: 0, settled: 0, refunds: 0, faults: 0 };
    const payments = await paymentDb(db, schema).selectFrom('payments').select(['id', 'status', 'stripe_payment_intent_id'])
      .where('status', 'in', ['PENDING', 'PROCESSING']).where('updated_at', '<', before).orderBy('updated_at').limit(batchSize).execute();
    for (const payment of payments) {
      if (this.#passes.signal.aborted) break;
      report.payments += 1;
      try {
        if (!payment.stripe_payment_intent_id) {
          if ((await app.requestIntent(payment.id)) !== null) report.faults += 1;
          continue;
        }
        const intent = await app.gateway.retrieveIntent(payment.stripe_payment_intent_id, { paymentId: payment.id });
        if (await app.applyIntent(payment.id, intent)) report.settled += 1;
        // Nothing new: touch it so the next pass looks at older ones first.
        else await paymentDb(db, schema).updateTable('payments').set({ updated_at: new Date() }).where('id', '=', payment.id).execute();
      } catch (error) {
        if (!(error instanceof GatewayFailure)) throw error;
        this.#logger.info({ err: error, paymentId: payment.id }, 'reconciling a payment failed at the gateway; next pass asks again');
        report.faults += 1;
      }
    }
    const refunds = await paymentDb(db, schema).selectFrom('refunds').select('id')
      .where('status', '=', 'pending').where('updated_at', '<', before).orderBy('updated_at').limit(batchSize).execute();
    for (const refund of refunds) {
      if (this.#passes.signal.aborted) break;
      report.refunds += 1;
      if ((await app.executeRefund(refund.id)) !== null) report.faults += 1;
      await paymentDb(db, schema).updateTable('refunds').set({ updated_at: new Date() }).where('id', '=', refund.id).where('status', '=', 'pending').execute();
    }
    return report;
  }
}
