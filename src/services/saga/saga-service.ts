import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { OrderCancelled } from '../../contracts/events/order.ts';
import { PaymentCancelled, PaymentCompleted, PaymentFailed, PaymentRefundFailed, PaymentRefunded } from '../../contracts/events/payment.ts';
import type { Money } from '../../contracts/money.ts';
import { SagaReply } from '../../contracts/events/saga.ts';
import type { MessageConsumer } from '../../platform/messaging/message-consumer.ts';
import type { PlatformMetrics } from '../../platform/observability/platform-metrics.ts';
import type { RetryPolicy } from '../../platform/messaging/retry-policy.ts';
import type { Transport } from '../../platform/messaging/transport.ts';
import type { Logger } from '../../platform/observability/logger.ts';
import type { OutboxRelay } from '../../platform/outbox/outbox-relay.ts';
import type { RetentionWorker } from '../../platform/database/retention.ts';
import type { OutboxTransaction } from '../../platform/outbox/outbox-transaction.ts';
import { ServiceRuntime } from '../../platform/service/service-runtime.ts';
import { SagaEngine, type SagaObserver } from '../../platform/saga/saga-engine.ts';
import type { AfterCommit, Publish } from '../../platform/outbox/outbox-transaction.ts';
import type { Envelope } from '../../contracts/envelope.ts';
import type { PayloadOf } from '../../contracts/define-event.ts';
import { awaitCheckoutEnd, takeCancellationAwaitingCheckout } from './cancellations-awaiting-checkout.ts';
import { CheckoutAdmission } from './checkout-admission.ts';
import { DeadlinePoller } from './deadline-poller.ts';
import { SagaProgress } from './saga-progress.ts';
import { decidePartialRefund, type RefundDecision } from './partial-refunds.ts';
import { readCheckoutMoneyAtRisk } from './money-at-risk.ts';
import { sagaRoutes } from './http/saga-routes.ts';
import { orchestratorMigrations } from './saga-migrations.ts';
import { checkoutSaga, type CheckoutData } from './sagas/checkout-saga.ts';
import { cancellationRefundSaga, partialRefundSaga, type RefundData } from './sagas/refund-sagas.ts';

type OrderCancelledPayload = PayloadOf<typeof OrderCancelled>;

export interface SagaServiceOptions {
  db: Kysely<unknown>;
  transport: Transport;
  schema?: string;
  groupId?: string;
  /** How long a checkout waits for its payment before it is cancelled (SPEC §3 step 4). */
  paymentDeadlineMs?: number;
  refundDeadlineMs?: number;
  commandTimeoutMs?: number;
  /** Resends of a command that was dead-lettered or went unanswered before the saga gives up on its step (default 3). */
  maxResends?: number;
  deadlinePollMs?: number;
  /** Checkout sagas not yet ended beyond which POST /checkout answers 503 with Retry-After (default 1,000). */
  maxCheckoutsInFlight?: number;
  /** How long POST /checkout waits for the payment to exist before answering 202. */
  checkoutWaitMs?: number;
  retry?: Partial<RetryPolicy>;
  relayPollIntervalMs?: number;
  metrics?: PlatformMetrics;
  /** A saga without progress this long counts as stuck in the metrics. */
  stuckAfterMs?: number;
  logger?: Logger;
}

export interface SagaService {
  readonly engine: SagaEngine;
  readonly relay: OutboxRelay;
  readonly consumer: MessageConsumer;
  readonly retention: () => RetentionWorker;
  readonly deadlines: DeadlinePoller;
  /** Waits for a saga's committed changes (POST /checkout waits for its payment this way). */
  readonly progress: SagaProgress;
  /** The bound on checkout sagas in flight POST /checkout enforces. */
  readonly admission: CheckoutAdmission;
  /** Runs work in a transaction whose published commands go through the outbox. */
  readonly transaction: OutboxTransaction;
  /** Starts a checkout; false when a saga of that id exists already (a retried request found it). */
  startCheckout(input: { sagaId: string; data: CheckoutData }): Promise<boolean>;
  /** Starts a partial refund unless the order's books refuse it; a saga of that id that exists already is found, not started again. */
  startPartialRefund(input: { sagaId: string; orderId: string; amount: Money; reason: string }): Promise<RefundDecision>;
  routes(http: FastifyInstance): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The saga orchestrator: checkout and refund sagas over the order, inventory, payment, delivery and notification services. */
export async function createSagaService(options: SagaServiceOptions): Promise<SagaService> {
  const schema = options.schema ?? 'saga';
  const { db } = options;
  const runtime = await ServiceRuntime.create({ ...options, schema, groupId: options.groupId ?? 'saga', migrations: orchestratorMigrations });
  const { consumer, relay, transaction } = runtime;
  const checkout = checkoutSaga({ paymentDeadlineMs: options.paymentDeadlineMs ?? 15 * 60_000 });
  const cancellation = cancellationRefundSaga({ refundDeadlineMs: options.refundDeadlineMs ?? 60 * 60_000 });
  const partial = partialRefundSaga({ refundDeadlineMs: options.refundDeadlineMs ?? 60 * 60_000 });
  const admission = new CheckoutAdmission({
    db, schema, sagaType: checkout.name, maxInFlight: options.maxCheckoutsInFlight ?? 1_000, logger: runtime.logger.child({ component: 'checkout-admission' }),
  });
  const progress = new SagaProgress();
  const metricsObserver = options.metrics?.sagas.observer ?? null;
  const observer: SagaObserver = {
    started: (type) => { admission.observer.started(type); metricsObserver?.started(type); },
    finished: (type, outcome, durationMs) => { admission.observer.finished(type); metricsObserver?.finished(type, outcome, durationMs); },
    stepFinished: (type, step, outcome, durationMs) => { metricsObserver?.stepFinished(type, step, outcome, durationMs); },
  };
  /** The refund saga of a paid order cancelled once its checkout completed. */
  const startCancellationRefund = (trx: Kysely<unknown>, publish: Publish, cancelled: Envelope<OrderCancelledPayload>, checkoutOf: CheckoutData, afterCommit: AfterCommit | undefined): Promise<boolean> =>
    engine.start(trx, publish, cancellation, {
      sagaId: `refund-${cancelled.payload.orderId}`, orderId: cancelled.payload.orderId, cause: cancelled,
      data: {
        orderId: cancelled.payload.orderId, customerId: checkoutOf.customerId, paymentId: checkoutOf.captured ? checkoutOf.paymentId : null,
        amount: null, reason: cancelled.payload.reason, refundRequestId: `cancel-${cancelled.payload.orderId}`, refundExpected: checkoutOf.captured, shipped: false,
      },
    }, afterCommit);
  const engine = new SagaEngine([checkout, cancellation, partial] as never[], {
    schema, logger: runtime.logger.child({ component: 'saga-engine' }), ...(options.commandTimeoutMs ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
    ...(options.maxResends === undefined ? {} : { maxResends: options.maxResends }), observer, onCommitted: progress.committed,
    // A cancellation that waited for this checkout: refunded if the checkout completed; one that compensated undid its own work.
    onEnded: async (trx, publish, ended, afterCommit) => {
      if (ended.type !== checkout.name) return;
      const cancelled = await takeCancellationAwaitingCheckout<OrderCancelledPayload>(trx, schema, ended.orderId);
      if (cancelled && ended.status === 'COMPLETED') await startCancellationRefund(trx, publish, cancelled, ended.data as CheckoutData, afterCommit);
    },
  });
  options.metrics?.watchSagas(db, schema, options.stuckAfterMs ?? 30 * 60_000);
  options.metrics?.watchMoneyAtRisk(schema, () => readCheckoutMoneyAtRisk(db, schema, checkout.name));
  const deadlines = new DeadlinePoller({ db, engine, transaction, intervalMs: options.deadlinePollMs ?? 1_000, logger: runtime.logger.child({ component: 'deadline-poller' }) });
  runtime.addWorker(deadlines);
  runtime.addWorker(admission);

  consumer.on(SagaReply, async (envelope, context) => { await engine.onReply(context.trx, context.publish, envelope, context.afterCommit); });
  // The payment outcomes the checkout and refund sagas wait for.
  consumer.on(PaymentCompleted, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope, context.afterCommit); });
  consumer.on(PaymentFailed, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope, context.afterCommit); });
  consumer.on(PaymentCancelled, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope, context.afterCommit); });
  consumer.on(PaymentRefunded, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope, context.afterCommit); });
  consumer.on(PaymentRefundFailed, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope, context.afterCommit); });
  // A paid order cancelled by its customer or an admin: the refund saga gives money and stock back.
  consumer.on(OrderCancelled, async (envelope, context) => {
    if (envelope.payload.previousStatus === 'PAYMENT_PENDING') return; // the checkout saga's own compensation
    // Locked: the transaction that ends the checkout saga locks its row too, so it either ended before this reads it or
    // finds the cancellation waiting for it.
    const sagas = await engine.sagasOfOrder(context.trx, envelope.payload.orderId, { lock: true });
    if (sagas.some((saga) => saga.type === cancellation.name)) return;
    const checkoutSagaOf = sagas.find((saga) => saga.type === checkout.name);
    // Cancelled once confirmed while its checkout is still finishing (create-delivery, notify-customer): decided when
    // it has ended. Ignoring it left the order CANCELLING with its money captured (found by `paysaga simulate --seed 2 --sagas 8`).
    if (checkoutSagaOf?.status === 'RUNNING') {
      await awaitCheckoutEnd(context.trx, schema, envelope.payload.orderId, envelope);
      return;
    }
    // Only an order whose checkout completed: a checkout compensating undoes its own work.
    if (checkoutSagaOf?.status !== 'COMPLETED') return;
    await startCancellationRefund(context.trx, context.publish, envelope, checkoutSagaOf.data as CheckoutData, context.afterCommit);
  });

  const service: SagaService = {
    engine, relay, consumer, retention: runtime.retention, deadlines, admission, progress, transaction,
    startCheckout: ({ sagaId, data }) => transaction((trx, publish, afterCommit) => engine.start(trx, publish, checkout, { sagaId, orderId: data.orderId, data }, afterCommit)),
    startPartialRefund: ({ sagaId, orderId, amount, reason }) => transaction(async (trx, publish, afterCommit) => {
      // Lock the order's sagas, then read them again: the second read sees a refund another request committed while we waited.
      await engine.sagasOfOrder(trx, orderId, { lock: true });
      const sagas = await engine.sagasOfOrder(trx, orderId);
      const existing = sagas.find((saga) => saga.id === sagaId);
      if (existing) return { ok: true, paymentId: (existing.data as RefundData).paymentId ?? '', customerId: (existing.data as RefundData).customerId };
      const decision = decidePartialRefund(orderId, sagas, amount);
      if (!decision.ok) return decision;
      await engine.start(trx, publish, partial, {
        sagaId, orderId,
        data: { orderId, customerId: decision.customerId, paymentId: decision.paymentId, amount, reason, refundRequestId: sagaId, refundExpected: true, shipped: false },
      }, afterCommit);
      return decision;
    }),
    routes: (http) => runtime.mount(http, (scope) => sagaRoutes(scope, { service, db, schema, checkoutWaitMs: options.checkoutWaitMs ?? 10_000, stuckAfterMs: options.stuckAfterMs ?? 30 * 60_000 })),
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
  return service;
}
