import { sql, type Kysely } from 'kysely';
import type { AuditedService, Books, DeadLetterRow, GatewayBooks, InboxRow, OutboxRow } from './books.ts';

/** Where each service's tables live in this deployment (namespace already applied: see auditSchemas). */
export type AuditSchemas = Record<AuditedService, string>;

/** A source of the gateway's own records: the simulator's, or Stripe's through its API (see gateway-records.ts). */
export interface GatewayRecords {
  read(): Promise<GatewayBooks>;
}

const SERVICES: readonly AuditedService[] = ['payment', 'order', 'inventory', 'delivery', 'notification', 'saga'];

async function rows<T>(db: Kysely<unknown>, query: ReturnType<typeof sql<T>>): Promise<T[]> {
  return (await query.execute(db)).rows;
}

const number = (value: unknown): number => Number(value);
const text = (value: unknown): string => String(value);

function parseData(raw: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(raw);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : {};
}

function typeOfHeaders(headers: string): string | null {
  const parsed: unknown = JSON.parse(headers);
  const type = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['paysaga-type'] : undefined;
  return typeof type === 'string' ? type : null;
}

async function platformRows(db: Kysely<unknown>, service: AuditedService, schema: string): Promise<{ outbox: OutboxRow[]; inbox: InboxRow[]; deadLetters: DeadLetterRow[] }> {
  const s = sql.id(schema);
  // Headers parsed here, not as jsonb: a dead letter's copy may carry an escaped NUL, which jsonb refuses.
  const outbox = await rows<{ id: unknown; topic: string; event_id: string | null; headers: string; published_at: Date | null }>(
    db, sql`select id, topic, event_id, headers, published_at from ${s}.outbox`);
  const inbox = await rows<{ consumer_group: string; event_id: string; topic: string }>(db, sql`select consumer_group, event_id, topic from ${s}.inbox`);
  const letters = await rows<{ id: unknown; consumer_group: string; topic: string; event_id: string | null; event_type: string | null; reason: string; status: string; note: string | null }>(
    db, sql`select id, consumer_group, topic, event_id, event_type, reason, status, note from ${s}.dead_letters`);
  return {
    outbox: outbox.map((row) => ({ service, id: text(row.id), topic: row.topic, eventId: row.event_id, eventType: typeOfHeaders(row.headers), publishedAt: row.published_at })),
    inbox: inbox.map((row) => ({ service, consumerGroup: row.consumer_group, eventId: row.event_id, topic: row.topic })),
    deadLetters: letters.map((row) => ({
      service, id: text(row.id), consumerGroup: row.consumer_group, topic: row.topic, eventId: row.event_id, eventType: row.event_type, reason: row.reason, status: row.status, note: row.note,
    })),
  };
}

/**
 * Reads every service's books and the gateway's records (read-only). Run it
 * when the system is quiet (load stopped, outboxes drained): the checks judge
 * what is in flight by the sagas' deadlines, not by timing.
 */
export async function readBooks(db: Kysely<unknown>, schemas: AuditSchemas, gateway: GatewayRecords | null, readAt = new Date()): Promise<Books> {
  const id = (service: AuditedService) => sql.id(schemas[service]);
  const saga = id('saga');
  const order = id('order');
  const payment = id('payment');
  const inventory = id('inventory');
  const notification = id('notification');
  const delivery = id('delivery');
  const platform = await Promise.all(SERVICES.map((service) => platformRows(db, service, schemas[service])));
  const sagas = await rows<{ id: string; saga_type: string; order_id: string; status: string; step_index: number; deadline_at: Date | null; failure_reason: string | null; data: string }>(
    db, sql`select id, saga_type, order_id, status, step_index, deadline_at, failure_reason, data from ${saga}.saga_instances`);
  const stepLog = await rows<{ saga_id: string; step: string; kind: string }>(db, sql`select saga_id, step, kind from ${saga}.saga_step_log`);
  const orders = await rows<{ id: string; status: string; total_amount: number; currency: string; payment_id: string | null }>(
    db, sql`select id, status, total_amount, currency, payment_id from ${order}.orders`);
  const history = await rows<{ order_id: string; seq: number; from_status: string | null; to_status: string }>(
    db, sql`select order_id, seq, from_status, to_status from ${order}.order_status_history`);
  const abandoned = await rows<{ order_id: string }>(db, sql`select order_id from ${order}.cancelled_before_creation`);
  const payments = await rows<{ id: string; order_id: string; amount: number; currency: string; status: string; stripe_payment_intent_id: string | null; amount_refunded: number; refund_pending: number }>(
    db, sql`select id, order_id, amount, currency, status, stripe_payment_intent_id, amount_refunded, refund_pending from ${payment}.payments`);
  const refunds = await rows<{ id: string; payment_id: string; refund_request_id: string; amount: number; status: string; stripe_refund_id: string | null }>(
    db, sql`select id, payment_id, refund_request_id, amount, status, stripe_refund_id from ${payment}.refunds`);
  const stock = await rows<{ product_id: string; on_hand: number; reserved: number; stocked: number }>(db, sql`select product_id, on_hand, reserved, stocked from ${inventory}.stock`);
  const lines = await rows<{ order_id: string; product_id: string; quantity: number; status: string; committed: boolean }>(
    db, sql`select l.order_id, l.product_id, l.quantity, r.status, (r.committed_at is not null) as committed
            from ${inventory}.reservation_lines l join ${inventory}.reservations r on r.order_id = l.order_id`);
  const notifications = await rows<{ id: string; order_id: string; kind: string; message: string; status: string; correlation_id: string }>(
    db, sql`select id, order_id, kind, message, status, correlation_id from ${notification}.notifications`);
  const deliveries = await rows<{ id: string; order_id: string; status: string }>(db, sql`select id, order_id, status from ${delivery}.deliveries`);
  const deliveryHistory = await rows<{ delivery_id: string; status: string }>(db, sql`select delivery_id, status from ${delivery}.delivery_status_history`);
  return {
    readAt,
    sagas: sagas.map((row) => ({
      id: row.id, sagaType: row.saga_type, orderId: row.order_id, status: row.status, stepIndex: number(row.step_index), deadlineAt: row.deadline_at, failureReason: row.failure_reason, data: parseData(row.data),
    })),
    stepLog: stepLog.map((row) => ({ sagaId: row.saga_id, step: row.step, kind: row.kind })),
    orders: orders.map((row) => ({ id: row.id, status: row.status, totalAmount: number(row.total_amount), currency: row.currency, paymentId: row.payment_id })),
    orderHistory: history.map((row) => ({ orderId: row.order_id, seq: number(row.seq), fromStatus: row.from_status, toStatus: row.to_status })),
    cancelledBeforeCreation: abandoned.map((row) => row.order_id),
    payments: payments.map((row) => ({
      id: row.id, orderId: row.order_id, amount: number(row.amount), currency: row.currency, status: row.status, intentId: row.stripe_payment_intent_id,
      amountRefunded: number(row.amount_refunded), refundPending: number(row.refund_pending),
    })),
    refunds: refunds.map((row) => ({ id: row.id, paymentId: row.payment_id, refundRequestId: row.refund_request_id, amount: number(row.amount), status: row.status, stripeRefundId: row.stripe_refund_id })),
    stock: stock.map((row) => ({ productId: row.product_id, onHand: number(row.on_hand), reserved: number(row.reserved), stocked: number(row.stocked) })),
    reservationLines: lines.map((row) => ({ orderId: row.order_id, productId: row.product_id, quantity: number(row.quantity), status: row.status, wasCommitted: Boolean(row.committed) })),
    notifications: notifications.map((row) => ({ id: row.id, orderId: row.order_id, kind: row.kind, message: row.message, status: row.status, correlationId: row.correlation_id })),
    deliveries: deliveries.map((row) => ({ id: row.id, orderId: row.order_id, status: row.status })),
    deliveryHistory: deliveryHistory.map((row) => ({ deliveryId: row.delivery_id, status: row.status })),
    outbox: platform.flatMap((part) => part.outbox),
    inbox: platform.flatMap((part) => part.inbox),
    deadLetters: platform.flatMap((part) => part.deadLetters),
    gateway: gateway ? await gateway.read() : null,
  };
}
