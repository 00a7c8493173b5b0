import { ServiceRuntime, type RunningService, type ServiceOptions } from '../../platform/service/service-runtime.ts';
import { GatewayErrorStore } from './application/gateway-error-store.ts';
import { PaymentApplication } from './application/payment-application.ts';
import { paymentViewOf, type PaymentView } from './application/payment-view.ts';
import type { PaymentStatus } from './domain/payment-machine.ts';
import { Reconciler, type ReconcilerOptions } from './application/reconciler.ts';
import { consumeRefundRequests } from './application/refund-requests-consumer.ts';
import { handleSagaCommands } from './application/saga-commands.ts';
import { WebhookReceiver } from './application/webhook-receiver.ts';
import { StripeCardGateway, type StripeGatewayOptions } from './gateway/stripe-card-gateway.ts';
import { paymentRoutes } from './http/payment-routes.ts';
import { paymentMigrations } from './store/migrations.ts';
import { paymentDb } from './store/tables.ts';

export interface PaymentServiceOptions extends ServiceOptions {
  stripe: StripeGatewayOptions;
  webhookSecret: string;
  reconciler?: Pick<ReconcilerOptions, 'staleAfterMs' | 'intervalMs'>;
}

export interface PaymentService extends RunningService {
  readonly app: PaymentApplication;
  readonly reconciler: Reconciler;
  readonly errors: GatewayErrorStore;
  health(): { gatewayBreaker: string };
}

const GATEWAY_RECORDS_KEEP_MS = 30 * 24 * 3_600_000;

/** Wires the payment service: its schema, the Stripe gateway behind its resilience policy, outbox relay, consumer, reconciler and routes. */
export async function createPaymentService(options: PaymentServiceOptions): Promise<PaymentService> {
  const runtime = await ServiceRuntime.create({ ...options, schema: options.schema ?? 'payment', groupId: options.groupId ?? 'payment', migrations: paymentMigrations });
  const { db, schema, logger } = runtime;
  const errors = new GatewayErrorStore(db, schema, logger.child({ component: 'gateway' }));
  const gateway = new StripeCardGateway({ ...options.stripe, ...(options.metrics ? { calls: options.metrics.gateway.observer } : {}) }, (attempt) => errors.record(attempt));
  options.metrics?.gateway.watchBreaker('gateway', () => gateway.breakerState);
  const app = new PaymentApplication({ db, schema, gateway, onOutboxWrite: runtime.wakeRelay, logger: logger.child({ component: 'payments' }) });
  const webhooks = new WebhookReceiver(app, db, schema);
  const reconciler = new Reconciler({ db, schema, app, ...options.reconciler, logger: logger.child({ component: 'reconciler' }) });
  runtime.addWorker(reconciler);
  // Bookkeeping of the gateway's, kept as long as Stripe keeps its events (30 days): a webhook redelivered later than
  // that cannot exist, and the operator's list of gateway errors looks back as far.
  runtime.retain({ table: 'webhook_receipts', column: 'received_at', keepMs: GATEWAY_RECORDS_KEEP_MS });
  runtime.retain({ table: 'gateway_errors', column: 'occurred_at', keepMs: GATEWAY_RECORDS_KEEP_MS });
  consumeRefundRequests(runtime.consumer, app);
  handleSagaCommands(runtime.consumer, app, schema);
  const listByOrder = async (orderId: string): Promise<PaymentView[]> => {
    const rows = await paymentDb(db, schema).selectFrom('payments').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute();
    return rows.map((row) => paymentViewOf(row, []));
  };
  // The operator's list: the newest payments, each with its refunds (one query for all their refunds).
  const listRecent = async (filter: { status?: PaymentStatus; limit: number }): Promise<PaymentView[]> => {
    let query = paymentDb(db, schema).selectFrom('payments').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(filter.limit);
    if (filter.status) query = query.where('status', '=', filter.status);
    const rows = await query.execute();
    const refunds = rows.length === 0 ? [] : await paymentDb(db, schema).selectFrom('refunds').selectAll().where('payment_id', 'in', rows.map((row) => row.id)).orderBy('created_at').orderBy('id').execute();
    return rows.map((row) => paymentViewOf(row, refunds.filter((refund) => refund.payment_id === row.id)));
  };
  return {
    app, reconciler, errors, relay: runtime.relay, consumer: runtime.consumer, retention: runtime.retention,
    routes: (http) => runtime.mount(http, (scope) => paymentRoutes(scope, { app, webhooks, errors, gateway, webhookSecret: options.webhookSecret, listByOrder, listRecent })),
    start: () => runtime.start(),
    async stop() {
      await runtime.stop();
      await errors.flush();
    },
    health: () => ({ gatewayBreaker: gateway.breakerState }),
  };
}
