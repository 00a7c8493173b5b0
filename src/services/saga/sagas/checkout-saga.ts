import type { Static } from 'typebox';
import { PaymentCancelled, PaymentCompleted, PaymentFailed, SagaPaymentCompensate } from '../../../contracts/events/payment.ts';
import type { OrderItemSchema } from '../../../contracts/events/order.ts';
import {
  CancelOrder, CommitStock, ConfirmOrder, CreateDelivery, CreateOrder, CreatePayment, ReleaseStock, ReserveStock, SendNotification,
} from '../../../contracts/events/saga.ts';
import { checkoutPaymentIdOf } from '../../../contracts/ids.ts';
import { formatMoney, type Money } from '../../../contracts/money.ts';
import { command, defineSaga, type SagaDefinition } from '../../../platform/saga/saga-definition.ts';

export type OrderItem = Static<typeof OrderItemSchema>;

export type CheckoutFailureKind = 'order' | 'stock' | 'payment' | 'timeout' | 'cancelled' | 'commit' | 'confirm' | 'delivery';

export interface CheckoutData {
  orderId: string;
  customerId: string;
  restaurantId: string;
  items: OrderItem[];
  total: Money;
  deliveryAddress: string;
  /** Set once the payment exists. Its client secret never comes here: the customer reads it from GET /payments/:paymentId. */
  paymentId: string | null;
  captured: boolean;
  deliveryId: string | null;
  failure: { kind: CheckoutFailureKind; reason: string } | null;
  /** How long the customer has to pay; null: the service's default (CHECKOUT_PAYMENT_DEADLINE_MS). */
  paymentWindowMs?: number | null;
}

const failed = (kind: CheckoutFailureKind) => (data: CheckoutData, reason: string): CheckoutData => ({ ...data, failure: data.failure ?? { kind, reason } });

function notification(data: CheckoutData, kind: 'order-confirmed' | 'payment-failed' | 'order-cancelled', message: string) {
  return command(SendNotification, { orderId: data.orderId, customerId: data.customerId, kind, message });
}

/**
 * The checkout saga of SPEC §3. Read top to bottom: each step, the command
 * that does it, and the command that undoes it. A refusal or the payment
 * deadline compensates the steps already done, last first.
 */
export function checkoutSaga(options: { paymentDeadlineMs: number }): SagaDefinition<CheckoutData> {
  return defineSaga<CheckoutData>({
    name: 'checkout',
    steps: [
      {
        name: 'create-order',
        invoke: (data) => command(CreateOrder, {
          orderId: data.orderId, customerId: data.customerId, restaurantId: data.restaurantId,
          items: data.items, total: data.total, deliveryAddress: data.deliveryAddress,
        }),
        onFailure: failed('order'),
        compensate: (data) => command(CancelOrder, {
          orderId: data.orderId, outcome: data.failure?.kind === 'payment' ? 'PAYMENT_FAILED' : 'CANCELLED', reason: data.failure?.reason ?? 'checkout failed',
        }),
      },
      {
        name: 'reserve-stock',
        invoke: (data) => command(ReserveStock, { orderId: data.orderId, restaurantId: data.restaurantId, items: data.items.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })) }),
        onFailure: failed('stock'),
        compensate: (data) => command(ReleaseStock, { orderId: data.orderId, reason: data.failure?.reason ?? 'checkout failed' }),
      },
      {
        name: 'create-payment',
        invoke: (data) => command(CreatePayment, { orderId: data.orderId, customerId: data.customerId, restaurantId: data.restaurantId, amount: data.total }),
        onSuccess: (data, result) => ({ ...data, paymentId: String(result.paymentId) }),
        onFailure: failed('payment'),
        // By the derived id, so a payment whose CreatePayment was given up on (and ran late) is cancelled too.
        compensate: (data) => command(SagaPaymentCompensate, {
          paymentId: data.paymentId ?? checkoutPaymentIdOf(data.orderId), orderId: data.orderId, action: data.captured ? 'refund' : 'cancel', reason: data.failure?.reason ?? 'checkout failed',
        }),
      },
      {
        name: 'await-payment',
        await: {
          events: [PaymentCompleted, PaymentFailed, PaymentCancelled],
          deadlineMs: (data) => data.paymentWindowMs ?? options.paymentDeadlineMs,
          timeoutReason: 'the payment was not completed before the checkout deadline',
          judge: (data, envelope) => {
            const payload = envelope.payload as { paymentId?: string; failureReason?: string; cancelReason?: string };
            if (payload.paymentId !== data.paymentId) return null;
            if (envelope.type === PaymentCompleted.type) return { ok: true, data: { ...data, captured: true } };
            const kind = envelope.type === PaymentFailed.type ? 'payment' : 'cancelled';
            const reason = payload.failureReason ?? payload.cancelReason ?? 'payment not completed';
            return { ok: false, reason, data: { ...data, failure: { kind, reason } } };
          },
        },
        onFailure: failed('timeout'),
      },
      { name: 'commit-stock', invoke: (data) => command(CommitStock, { orderId: data.orderId }), onFailure: failed('commit') },
      { name: 'confirm-order', invoke: (data) => command(ConfirmOrder, { orderId: data.orderId, paymentId: data.paymentId ?? '' }), onFailure: failed('confirm') },
      {
        name: 'create-delivery',
        invoke: (data) => command(CreateDelivery, { orderId: data.orderId, customerId: data.customerId, restaurantId: data.restaurantId, address: data.deliveryAddress }),
        onSuccess: (data, result) => ({ ...data, deliveryId: typeof result.deliveryId === 'string' ? result.deliveryId : null }),
        onFailure: failed('delivery'),
      },
      {
        name: 'notify-customer',
        invoke: (data) => notification(data, 'order-confirmed', `Your order ${data.orderId} is confirmed: ${formatMoney(data.total)} paid, delivery on its way to ${data.deliveryAddress}.`),
        retryOnRefusal: true,
        optional: true,
      },
    ],
    onCompensated: (data) => [data.failure?.kind === 'payment' || data.failure?.kind === 'timeout'
      ? notification(data, 'payment-failed', `Your payment for order ${data.orderId} did not go through (${data.failure.reason}); nothing was charged.`)
      : notification(data, 'order-cancelled', `Your order ${data.orderId} was cancelled (${data.failure?.reason ?? 'checkout failed'})${data.captured ? '; the payment is refunded' : ''}.`)],
    // A compensation had to be abandoned: cancelled, but no promise about money that may not have moved back.
    onFailed: (data) => [notification(data, 'order-cancelled', `Your order ${data.orderId} was cancelled (${data.failure?.reason ?? 'checkout failed'})${data.captured ? '; your refund needs our team, who have been alerted' : ''}.`)],
  });
}
