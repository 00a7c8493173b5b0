import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { OrderCancelled } from '../../contracts/events/order.ts';
import { PaymentCancelled, PaymentCompleted, PaymentFailed, PaymentRefunded } from '../../contracts/events/payment.ts';
import { SagaReply } from '../../contracts/events/saga.ts';
import type { MessageConsumer } from '../../platform/messaging/message-consumer.ts';
import type { RetryPolicy } from '../../platform/messaging/retry-policy.ts';
import type { Transport } from '../../platform/messaging/transport.ts';
import type { Logger } from '../../platform/observability/logger.ts';
import type { OutboxRelay } from '../../platform/outbox/outbox-relay.ts';
import type { OutboxTransaction } from '../../platform/outbox/outbox-transaction.ts';
import { ServiceRuntime } from '../../platform/service/service-runtime.ts';
import { SagaEngine } from '../../platform/saga/saga-engine.ts';
import { DeadlinePoller } from './deadline-poller.ts';
import { sagaRoutes } from './http/saga-routes.ts';
import { orchestratorMigrations } from './saga-migrations.ts';
import { checkoutSaga, type CheckoutData } from './sagas/checkout-saga.ts';
import { cancellationRefundSaga, partialRefundSaga, type RefundData } from './sagas/refund-sagas.ts';

export interface SagaServiceOptions {
  db: Kysely<unknown>;
  transport: Transport;
  schema?: string;
  groupId?: string;
  /** How long a checkout waits for its payment before it is cancelled (SPEC §3 step 4). */
  paymentDeadlineMs?: number;
  refundDeadlineMs?: number;
  commandTimeoutMs?: number;
  deadlinePollMs?: number;
  /** How long POST /checkout waits for the payment to exist before answering 202. */
  checkoutWaitMs?: number;
  retry?: Partial<RetryPolicy>;
  relayPollIntervalMs?: number;
  logger?: Logger;
}

export interface SagaService {
  readonly engine: SagaEngine;
  readonly relay: OutboxRelay;
  readonly consumer: MessageConsumer;
  readonly deadlines: DeadlinePoller;
  /** Runs work in a transaction whose published commands go through the outbox. */
  readonly transaction: OutboxTransaction;
  startCheckout(input: { sagaId: string; data: CheckoutData }): Promise<void>;
  startPartialRefund(input: { sagaId: string; data: RefundData }): Promise<void>;
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
  const engine = new SagaEngine([checkout, cancellation, partial] as never[], {
    schema, logger: runtime.logger.child({ component: 'saga-engine' }), ...(options.commandTimeoutMs ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
  });
  const deadlines = new DeadlinePoller({ db, engine, transaction, intervalMs: options.deadlinePollMs ?? 1_000, logger: runtime.logger.child({ component: 'deadline-poller' }) });
  runtime.addWorker(deadlines);

  consumer.on(SagaReply, async (envelope, context) => { await engine.onReply(context.trx, context.publish, envelope); });
  // The payment outcomes the checkout and refund sagas wait for.
  consumer.on(PaymentCompleted, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope); });
  consumer.on(PaymentFailed, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope); });
  consumer.on(PaymentCancelled, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope); });
  consumer.on(PaymentRefunded, async (envelope, context) => { await engine.onEvent(context.trx, context.publish, envelope); });
  // A paid order cancelled by its customer or an admin: the refund saga gives money and stock back.
  consumer.on(OrderCancelled, async (envelope, context) => {
    if (envelope.payload.previousStatus === 'PAYMENT_PENDING') return; // the checkout saga's own compensation
    const sagas = await engine.sagasOfOrder(context.trx, envelope.payload.orderId);
    if (sagas.some((saga) => saga.type === cancellation.name)) return;
    const checkoutSagaOf = sagas.find((saga) => saga.type === checkout.name);
    // Only an order whose checkout completed: a checkout still running, or compensating, undoes its own work.
    if (checkoutSagaOf?.status !== 'COMPLETED') return;
    const checkoutOf = checkoutSagaOf.data as CheckoutData;
    await engine.start(context.trx, context.publish, cancellation, {
      sagaId: `refund-${envelope.payload.orderId}`, orderId: envelope.payload.orderId, cause: envelope,
      data: {
        orderId: envelope.payload.orderId, customerId: checkoutOf.customerId, paymentId: checkoutOf.captured ? checkoutOf.paymentId : null,
        amount: null, reason: envelope.payload.reason, refundRequestId: `cancel-${envelope.payload.orderId}`, refundExpected: checkoutOf.captured, shipped: false,
      },
    });
  });

  const service: SagaService = {
    engine, relay, consumer, deadlines, transaction,
    startCheckout: ({ sagaId, data }) => transaction((trx, publish) => engine.start(trx, publish, checkout, { sagaId, orderId: data.orderId, data })),
    startPartialRefund: ({ sagaId, data }) => transaction((trx, publish) => engine.start(trx, publish, partial, { sagaId, orderId: data.orderId, data })),
    routes: (http) => runtime.mount(http, (scope) => sagaRoutes(scope, { service, db, checkoutWaitMs: options.checkoutWaitMs ?? 10_000 })),
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
  return service;
}
