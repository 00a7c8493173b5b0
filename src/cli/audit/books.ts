/**
 * The books the auditor reads: every service's rows that money, stock, notices
 * and messages leave behind, plus the gateway's own records. A plain snapshot
 * (no database handle), so the checks are pure functions of it and a simulator
 * may build one directly.
 */

/** The services whose schemas are read, by their names in src/cli/compose.ts. */
export type AuditedService = 'payment' | 'order' | 'inventory' | 'delivery' | 'notification' | 'saga';

export interface SagaRow {
  id: string;
  sagaType: string;
  orderId: string;
  status: string;
  stepIndex: number;
  deadlineAt: Date | null;
  failureReason: string | null;
  /** The saga's data (JSON text parsed). */
  data: Record<string, unknown>;
}

export interface StepLogRow {
  sagaId: string;
  step: string;
  kind: string;
}

export interface OrderRow {
  id: string;
  status: string;
  totalAmount: number;
  currency: string;
  paymentId: string | null;
}

export interface OrderHistoryRow {
  orderId: string;
  seq: number;
  fromStatus: string | null;
  toStatus: string;
}

export interface PaymentRow {
  id: string;
  orderId: string;
  amount: number;
  currency: string;
  status: string;
  intentId: string | null;
  amountRefunded: number;
  refundPending: number;
}

export interface RefundRow {
  id: string;
  paymentId: string;
  refundRequestId: string;
  amount: number;
  status: string;
  stripeRefundId: string | null;
}

export interface StockRow {
  productId: string;
  onHand: number;
  reserved: number;
  /** Every unit ever put on the shelf (net of admin corrections): the "initial" of the conservation law. */
  stocked: number;
}

export interface ReservationLineRow {
  orderId: string;
  productId: string;
  quantity: number;
  status: string;
  /** Whether the reservation was ever committed (a sale), so a released one was restocked. */
  wasCommitted: boolean;
}

export interface NotificationRow {
  id: string;
  orderId: string;
  kind: string;
  message: string;
  status: string;
  correlationId: string;
}

export interface DeliveryRow {
  id: string;
  orderId: string;
  status: string;
}

export interface DeliveryHistoryRow {
  deliveryId: string;
  status: string;
}

export interface OutboxRow {
  service: AuditedService;
  id: string;
  topic: string;
  eventId: string | null;
  /** The envelope's type (the paysaga-type header). */
  eventType: string | null;
  publishedAt: Date | null;
}

export interface InboxRow {
  service: AuditedService;
  consumerGroup: string;
  eventId: string;
  topic: string;
}

export interface DeadLetterRow {
  service: AuditedService;
  id: string;
  consumerGroup: string;
  topic: string;
  eventId: string | null;
  eventType: string | null;
  reason: string;
  status: string;
  note: string | null;
}

/** A PaymentIntent as the gateway (Stripe, or the simulator) keeps it. */
export interface GatewayIntent {
  id: string;
  status: string;
  amount: number;
  /** What was captured (Stripe's amount_received). */
  amountReceived: number;
  currency: string;
  metadata: Record<string, string>;
  /** Charges that captured money for this intent (more than one would be a double capture). */
  capturedCharges: number;
}

/** A Refund as the gateway keeps it. */
export interface GatewayRefund {
  id: string;
  intentId: string | null;
  amount: number;
  status: string;
  metadata: Record<string, string>;
}

export interface GatewayBooks {
  intents: GatewayIntent[];
  refunds: GatewayRefund[];
}

export interface Books {
  /** When the books were read: a running saga is judged against its deadline at this instant. */
  readAt: Date;
  sagas: SagaRow[];
  stepLog: StepLogRow[];
  orders: OrderRow[];
  orderHistory: OrderHistoryRow[];
  /** Orders abandoned before their CreateOrder ran (no order row will ever exist). */
  cancelledBeforeCreation: string[];
  payments: PaymentRow[];
  refunds: RefundRow[];
  stock: StockRow[];
  reservationLines: ReservationLineRow[];
  notifications: NotificationRow[];
  deliveries: DeliveryRow[];
  deliveryHistory: DeliveryHistoryRow[];
  outbox: OutboxRow[];
  inbox: InboxRow[];
  deadLetters: DeadLetterRow[];
  /** null: the gateway's records were not read (its checks are skipped, and say so). */
  gateway: GatewayBooks | null;
}
