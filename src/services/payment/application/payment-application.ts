import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newTraceparent } from '../../../contracts/codec.ts';
import { checkoutPaymentIdOf } from '../../../contracts/ids.ts';
import type { Money } from '../../../contracts/money.ts';
import { ApiError, notFound } from '../../../platform/http/api-error.ts';
import { fallbackLogger, type Logger } from '../../../platform/observability/logger.ts';
import type { OutboxMessage } from '../../../platform/outbox/outbox.ts';
import { detach } from '../../../platform/utils/detached-work.ts';
import { outboxTransaction } from '../../../platform/outbox/outbox-transaction.ts';
import { refundableAmount, settle, transition, type GatewayOutcome } from '../domain/payment-machine.ts';
import { GatewayFailure, type CardGateway, type IntentView, type RefundView as GatewayRefund } from '../gateway/card-gateway.ts';
import { paymentDb } from '../store/tables.ts';
import { effectEvents, initiatedEvent } from './payment-events.ts';
import { findPayment, findPaymentWithRefunds, lockPayment, stateChanges, stateOf, updatePayment } from './payment-repository.ts';
import { paymentViewOf, type PaymentRow, type PaymentView, type RefundRow } from './payment-view.ts';

export interface PaymentApplicationOptions {
  db: Kysely<unknown>;
  schema: string;
  gateway: CardGateway;
  /** Wakes the outbox relay after a commit that wrote events. */
  onOutboxWrite?: () => void;
  logger?: Logger;
}

export interface OrderParties {
  customerId: string;
  restaurantId: string | null;
}

export interface MessageMeta {
  correlationId?: string | null;
  causationId?: string | null;
  traceparent?: string | null;
}

export interface RefundRequest {
  refundRequestId: string;
  /** null refunds everything not yet refunded. */
  amount: Money | null;
  reason: string;
}

/** What a command did at the gateway, for the caller (HTTP) to pick its status code. */
export interface CommandResult {
  payment: PaymentView;
  gatewayProblem: GatewayFailure | null;
}

const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

/** A new payment row, PENDING and without an intent, with the correlation and trace of the request or saga that asked for it. */
function pendingPayment(id: string, input: { orderId: string; customerId: string; amount: Money; description?: string | null }, meta: MessageMeta) {
  return {
    id, order_id: input.orderId, customer_id: input.customerId, amount: input.amount.amount, currency: input.amount.currency,
    status: 'PENDING' as const, description: input.description ?? null, stripe_payment_intent_id: null, client_secret: null, payment_method: null,
    stripe_charge_id: null, receipt_url: null, next_action_url: null, failure_code: null, decline_code: null, failure_reason: null,
    cancel_reason: null, amount_refunded: 0, refund_pending: 0, correlation_id: meta.correlationId ?? randomUUID(),
    causation_id: meta.causationId ?? null, traceparent: meta.traceparent ?? newTraceparent(), version: 0, updated_at: new Date(),
  };
}

function rejection(result: { ok: false; rejection: { code: string; message: string } }, details: Record<string, unknown>): ApiError {
  const status = result.rejection.code === 'illegal_transition' ? 409 : 400;
  return new ApiError(status, result.rejection.code, result.rejection.message, details);
}

/**
 * The payment service's use cases. Each one changes a payment under its row
 * lock and queues the resulting events in the same transaction; gateway calls
 * happen between transactions, each with an idempotency key derived from the
 * payment or refund id, so repeating a use case never repeats a charge.
 */
/** What a caller already read of a payment's charge: enough to skip fetching a receipt it has. */
export type KnownReceipt = Pick<PaymentRow, 'stripe_charge_id' | 'receipt_url'>;

export class PaymentApplication {
  readonly #options: PaymentApplicationOptions;
  readonly #logger: Logger;

  constructor(options: PaymentApplicationOptions) {
    this.#options = options;
    this.#logger = options.logger ?? fallbackLogger();
  }

  get gateway(): CardGateway { return this.#options.gateway; }

  /**
   * Calls the gateway for a committed refund without holding up the caller (a
   * consumer's afterCommit). A failure is logged; the refund stays pending and
   * the reconciler asks again with the same idempotency key.
   */
  startRefund(refundId: string): void {
    void detach(this.executeRefund(refundId).catch((error: unknown) => {
      this.#logger.warn({ err: error, refundId }, 'refund call failed; the reconciler retries it');
    }));
  }

  /** Work and the events it publishes, committed together (the relay is woken after). */
  #transaction<T>(work: (trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void) => Promise<T>): Promise<T> {
    return outboxTransaction(this.#options.db, this.#options.schema, this.#options.onOutboxWrite)(work);
  }


  /** A transaction whose published events go through the outbox (for collaborators such as the webhook receiver). */
  transactionFor<T>(work: (trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void) => Promise<T>): Promise<T> {
    return this.#transaction(work);
  }

  async view(paymentId: string): Promise<PaymentView> {
    const { db, schema } = this.#options;
    const found = await findPaymentWithRefunds(db, schema, paymentId);
    if (!found) throw notFound('payment', paymentId);
    return paymentViewOf(found.row, found.refunds);
  }

  async #locked(trx: Kysely<unknown>, paymentId: string): Promise<PaymentRow> {
    const row = await lockPayment(trx, this.#options.schema, paymentId);
    if (!row) throw notFound('payment', paymentId);
    return row;
  }

  // ── create ────────────────────────────────────────────────────────────────

  /** Who the order belongs to, as far as this service knows (undefined: no payment was ever asked for it). */
  async partiesOf(orderId: string): Promise<OrderParties | undefined> {
    const row = await paymentDb(this.#options.db, this.#options.schema).selectFrom('order_parties').selectAll().where('order_id', '=', orderId).executeTakeFirst();
    return row ? { customerId: row.customer_id, restaurantId: row.restaurant_id } : undefined;
  }

  /**
   * A payment asked for over HTTP. `derivedId` (from the caller's
   * Idempotency-Key) names it, so a retry after a crash finds the payment the
   * first attempt created instead of creating a second one.
   */
  async create(input: { orderId: string; customerId: string; amount: Money; description?: string | null }, meta: MessageMeta = {}, derivedId: string | null = null): Promise<CommandResult> {
    const { schema } = this.#options;
    const id = derivedId === null ? newId('pay') : `pay_${derivedId}`;
    await this.#options.db.transaction().execute(async (trx) => {
      // The first payment asked for an order binds it to its customer, atomically; nobody else pays for it after that.
      const db = paymentDb(trx, schema);
      await db.insertInto('order_parties').values({ order_id: input.orderId, customer_id: input.customerId, restaurant_id: null })
        .onConflict((conflict) => conflict.column('order_id').doNothing()).execute();
      const bound = await db.selectFrom('order_parties').select('customer_id').where('order_id', '=', input.orderId).forUpdate().executeTakeFirstOrThrow();
      if (bound.customer_id !== input.customerId) {
        throw new ApiError(409, 'order_of_another_customer', `order ${input.orderId} belongs to another customer`, { orderId: input.orderId });
      }
      await db.insertInto('payments').values(pendingPayment(id, input, meta))
        .onConflict((conflict) => conflict.column('id').doNothing()).execute();
    });
    const problem = await this.requestIntent(id);
    return { payment: await this.view(id), gatewayProblem: problem };
  }

  /**
   * The saga's CreatePayment, inside the consumer's transaction: one payment per
   * order (its id derives from the order id, so a redelivery after a crash asks
   * the gateway with the same idempotency key and gets the same intent).
   * The gateway call runs inside the transaction; the policy bounds it.
   */
  async createForSaga(
    trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void,
    input: { orderId: string; customerId: string; restaurantId: string; amount: Money }, meta: MessageMeta,
  ): Promise<{ ok: true; payment: PaymentRow } | { ok: false; reason: string; payment: PaymentRow | null }> {
    const { schema } = this.#options;
    const id = checkoutPaymentIdOf(input.orderId);
    const db = paymentDb(trx, schema);
    // The saga created the order: it states the order's customer and restaurant with authority.
    const parties = { customer_id: input.customerId, restaurant_id: input.restaurantId };
    await db.insertInto('order_parties').values({ order_id: input.orderId, ...parties })
      .onConflict((conflict) => conflict.column('order_id').doUpdateSet(parties)).execute();
    await db.insertInto('payments').values(pendingPayment(id, { ...input, description: `order ${input.orderId}` }, meta))
      .onConflict((conflict) => conflict.column('id').doNothing()).execute();
    const row = await this.#locked(trx, id);
    if (row.stripe_payment_intent_id) return { ok: true, payment: row };
    if (row.status !== 'PENDING') return { ok: false, reason: `${row.failure_code ?? row.status}: ${row.failure_reason ?? 'payment not possible'}`, payment: row };
    try {
      return { ok: true, payment: await this.#recordIntent(trx, publish, row, await this.#askForIntent(row), meta.causationId ?? null) };
    } catch (error) {
      // Unknown outcome: throw, so the command is retried with the same key; a definite no fails the payment now.
      if (!(error instanceof GatewayFailure) || error.kind === 'unknown_outcome') throw error;
      return { ok: false, reason: `${error.code}: ${error.message}`, payment: await this.#failLocked(trx, publish, row, error, meta.causationId ?? null) };
    }
  }

  /** The gateway intent of a payment; its idempotency key makes every repeat return the same intent. */
  #askForIntent(row: PaymentRow): Promise<IntentView> {
    return this.#options.gateway.createIntent({
      amount: row.amount, currency: row.currency, description: row.description,
      metadata: { paymentId: row.id, orderId: row.order_id, customerId: row.customer_id },
    }, { paymentId: row.id, idempotencyKey: `${row.id}:create` });
  }

  async #recordIntent(trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void, row: PaymentRow, intent: IntentView, causationId: string | null): Promise<PaymentRow> {
    const updated = await updatePayment(trx, this.#options.schema, row, { stripe_payment_intent_id: intent.id, client_secret: intent.clientSecret });
    publish(initiatedEvent(updated, causationId));
    return updated;
  }

  /** The gateway refused to create the intent (or nothing was sent): the payment fails without one. */
  async #failLocked(trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void, row: PaymentRow, error: GatewayFailure, causationId: string | null): Promise<PaymentRow> {
    const result = transition(stateOf(row), { type: 'FAILED' });
    if (!result.ok) return row;
    const updated = await updatePayment(trx, this.#options.schema, row, { ...stateChanges(result.state), failure_code: error.code, failure_reason: error.message });
    publish(initiatedEvent(updated, causationId), ...effectEvents(updated, result.effects, null, causationId));
    return updated;
  }

  /** Creates the payment's gateway intent (again, after a crash: the idempotency key returns the same intent). */
  async requestIntent(paymentId: string): Promise<GatewayFailure | null> {
    const row = await findPayment(this.#options.db, this.#options.schema, paymentId);
    if (!row || row.status !== 'PENDING' || row.stripe_payment_intent_id) return null;
    let intent: IntentView;
    try {
      intent = await this.#askForIntent(row);
    } catch (error) {
      if (!(error instanceof GatewayFailure)) throw error;
      // Unknown outcome: the intent may exist; the reconciler asks again with the same key.
      if (error.kind !== 'unknown_outcome') await this.#transaction(async (trx, publish) => { await this.#failLocked(trx, publish, await this.#locked(trx, paymentId), error, null); });
      return error;
    }
    await this.#transaction(async (trx, publish) => {
      const locked = await this.#locked(trx, paymentId);
      if (locked.status === 'PENDING' && !locked.stripe_payment_intent_id) await this.#recordIntent(trx, publish, locked, intent, null);
    });
    return null;
  }

  // ── confirm ───────────────────────────────────────────────────────────────

  async confirm(paymentId: string, paymentMethod: string): Promise<CommandResult> {
    const submitted = await this.#transaction(async (trx, publish) => {
      const row = await this.#locked(trx, paymentId);
      if (!row.stripe_payment_intent_id) {
        throw new ApiError(409, 'payment_not_ready', `payment ${paymentId} has no gateway intent yet (${row.status}); retry shortly`, { status: row.status });
      }
      const result = transition(stateOf(row), { type: 'SUBMITTED' });
      if (!result.ok) throw rejection(result, { status: row.status });
      const updated = await updatePayment(trx, this.#options.schema, row, { ...stateChanges(result.state), payment_method: paymentMethod });
      publish(...effectEvents(updated, result.effects, null, null));
      return updated;
    });
    const intentId = submitted.stripe_payment_intent_id ?? '';
    try {
      const intent = await this.#options.gateway.confirmIntent(intentId, paymentMethod, { paymentId, idempotencyKey: `${paymentId}:confirm` });
      await this.applyIntent(paymentId, intent);
      if (intent.outcome === 'failed') await this.#closeFailedIntent(paymentId, intentId);
      return { payment: await this.view(paymentId), gatewayProblem: null };
    } catch (error) {
      if (!(error instanceof GatewayFailure)) throw error;
      // Nothing was sent (breaker open) or the gateway refused the request: the payment fails now and the saga reacts.
      // An unknown outcome stays PROCESSING: the webhook or the reconciler will tell.
      if (error.kind !== 'unknown_outcome') await this.applyOutcome(paymentId, 'failed', { code: error.code, declineCode: null, message: error.message });
      return { payment: await this.view(paymentId), gatewayProblem: error };
    }
  }

  /** A declined intent could still be paid later from a browser holding its client secret: cancel it so money never arrives for a FAILED payment. */
  async #closeFailedIntent(paymentId: string, intentId: string): Promise<void> {
    try {
      await this.#options.gateway.cancelIntent(intentId, 'abandoned', { paymentId, idempotencyKey: `${paymentId}:close-failed` });
    } catch (error) {
      // Also in the gateway error store; a FAILED payment stays FAILED either way.
      this.#logger.warn({ err: error, paymentId, intentId }, 'closing the intent of a failed payment failed');
    }
  }

  // ── outcomes from the gateway (confirm answer, webhook, reconciler) ───────

  /** Applies what the gateway says of the payment's intent; stale or repeated news changes nothing. Returns whether anything changed. */
  /**
   * Settles a payment by what the gateway says of its intent. `known` is the payment as the caller last read it (a
   * webhook's lookup): a receipt already fetched for the same charge is not fetched again.
   */
  async applyIntent(
    paymentId: string, intent: IntentView,
    onApplied?: (trx: Kysely<unknown>, row: PaymentRow, publish: (...messages: OutboxMessage[]) => void, changed: boolean) => Promise<void>,
    known?: KnownReceipt,
  ): Promise<boolean> {
    const receiptUrl = intent.outcome === 'succeeded' ? await this.#receiptUrl(paymentId, intent, known) : null;
    return this.#transaction(async (trx, publish) => {
      const row = await this.#locked(trx, paymentId);
      const changed = await this.#settleLocked(trx, row, intent.outcome, publish, {
        ...(intent.lastError ? { failure_code: intent.lastError.code, decline_code: intent.lastError.declineCode, failure_reason: intent.lastError.message } : {}),
        ...(intent.latestChargeId ? { stripe_charge_id: intent.latestChargeId } : {}),
        ...(receiptUrl ? { receipt_url: receiptUrl } : {}),
        next_action_url: intent.outcome === 'in_progress' ? intent.nextActionUrl : null,
      });
      if (onApplied) await onApplied(trx, changed.row, publish, changed.changed);
      return changed.changed;
    });
  }

  async applyOutcome(paymentId: string, outcome: GatewayOutcome, failure: { code: string; declineCode: string | null; message: string } | null, cancelReason?: string): Promise<boolean> {
    return this.#transaction(async (trx, publish) => {
      const row = await this.#locked(trx, paymentId);
      const result = await this.#settleLocked(trx, row, outcome, publish, {
        ...(failure ? { failure_code: failure.code, decline_code: failure.declineCode, failure_reason: failure.message } : {}),
        ...(cancelReason ? { cancel_reason: cancelReason } : {}),
      });
      return result.changed;
    });
  }

  async #settleLocked(
    trx: Kysely<unknown>, row: PaymentRow, outcome: GatewayOutcome, publish: (...messages: OutboxMessage[]) => void,
    details: Parameters<typeof updatePayment>[3],
  ): Promise<{ row: PaymentRow; changed: boolean }> {
    const { state, effects } = settle(stateOf(row), outcome);
    const failed = state.status === 'FAILED';
    const record = row as unknown as Record<string, unknown>;
    const detailChanges = Object.fromEntries(Object.entries(details).filter(([key, value]) =>
      (failed || !['failure_code', 'decline_code', 'failure_reason'].includes(key)) && record[key] !== value));
    if (effects.length === 0 && Object.keys(detailChanges).length === 0) return { row, changed: false };
    const updated = await updatePayment(trx, this.#options.schema, row, { ...stateChanges(state), ...detailChanges });
    publish(...effectEvents(updated, effects, null, null));
    return { row: updated, changed: effects.length > 0 };
  }

  async #receiptUrl(paymentId: string, intent: IntentView, known: KnownReceipt | undefined): Promise<string | null> {
    if (!intent.latestChargeId) return null;
    // The confirm's answer usually brought the receipt before the webhook saying the same: one gateway call a payment saved.
    if (known?.receipt_url && known.stripe_charge_id === intent.latestChargeId) return known.receipt_url;
    try {
      return (await this.#options.gateway.retrieveCharge(intent.latestChargeId, { paymentId })).receiptUrl;
    } catch (error) {
      this.#logger.info({ err: error, paymentId, chargeId: intent.latestChargeId }, 'receipt link unavailable; the payment completes without it');
      return null;
    }
  }

  // ── cancel ────────────────────────────────────────────────────────────────

  async cancel(paymentId: string, reason: string): Promise<CommandResult> {
    const row = await findPayment(this.#options.db, this.#options.schema, paymentId);
    if (!row) throw notFound('payment', paymentId);
    const check = transition(stateOf(row), { type: 'CANCELLED' });
    if (!check.ok) throw rejection(check, { status: row.status });
    if (row.stripe_payment_intent_id) {
      try {
        const intent = await this.#options.gateway.cancelIntent(row.stripe_payment_intent_id, 'requested_by_customer', { paymentId, idempotencyKey: `${paymentId}:cancel` });
        if (intent.outcome !== 'cancelled') await this.applyIntent(paymentId, intent);
      } catch (error) {
        if (!(error instanceof GatewayFailure)) throw error;
        if (error.kind === 'rejected') {
          // Most likely it succeeded meanwhile: learn the truth, then tell the caller to refund instead.
          const intent = await this.#options.gateway.retrieveIntent(row.stripe_payment_intent_id, { paymentId }).catch((lookup: unknown) => {
            this.#logger.warn({ err: lookup, paymentId }, 're-reading the intent after a refused cancel failed; the reconciler will settle it');
            return null;
          });
          if (intent) await this.applyIntent(paymentId, intent);
          const now = await this.view(paymentId);
          throw new ApiError(409, 'cannot_cancel', `payment ${paymentId} can no longer be cancelled (${now.status}): ${error.message}`, { status: now.status });
        }
        return { payment: await this.view(paymentId), gatewayProblem: error };
      }
    }
    await this.applyOutcome(paymentId, 'cancelled', null, reason);
    return { payment: await this.view(paymentId), gatewayProblem: null };
  }

  /**
   * The saga's compensation "cancel", inside the consumer's transaction (so it
   * also works on PGlite's single connection): cancels the intent at the
   * gateway and the payment with it. Returns 'captured' when the money had
   * already moved (the caller refunds instead).
   */
  async cancelWithin(trx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void, paymentId: string, reason: string): Promise<'cancelled' | 'captured' | 'settled'> {
    const row = await this.#locked(trx, paymentId);
    if (!transition(stateOf(row), { type: 'CANCELLED' }).ok) return row.status === 'COMPLETED' || row.status === 'PARTIALLY_REFUNDED' ? 'captured' : 'settled';
    let intent: IntentView | null = null;
    if (row.stripe_payment_intent_id) {
      try {
        intent = await this.#options.gateway.cancelIntent(row.stripe_payment_intent_id, 'abandoned', { paymentId, idempotencyKey: `${paymentId}:cancel` });
      } catch (error) {
        if (!(error instanceof GatewayFailure) || error.kind !== 'rejected') throw error;
        intent = await this.#options.gateway.retrieveIntent(row.stripe_payment_intent_id, { paymentId });
      }
    }
    const outcome = intent?.outcome ?? 'cancelled';
    const settled = await this.#settleLocked(trx, row, outcome, publish, {
      ...(outcome === 'cancelled' ? { cancel_reason: reason } : {}),
      ...(intent?.latestChargeId ? { stripe_charge_id: intent.latestChargeId } : {}),
    });
    return settled.row.status === 'CANCELLED' ? 'cancelled' : settled.row.status === 'COMPLETED' ? 'captured' : 'settled';
  }

  // ── refunds ───────────────────────────────────────────────────────────────

  /**
   * Records a refund request under the payment's lock (one refund per request
   * id, never more than what remains) in the caller's transaction; the gateway
   * is asked afterwards by `executeRefund`.
   */
  async requestRefundIn(
    trx: Kysely<unknown>, paymentId: string, request: RefundRequest, publish: ((...messages: OutboxMessage[]) => void) | null,
    meta: MessageMeta = {}, exactAmount?: number,
  ): Promise<RefundRow> {
    const db = paymentDb(trx, this.#options.schema);
    const existing = await db.selectFrom('refunds').selectAll().where('refund_request_id', '=', request.refundRequestId).executeTakeFirst();
    if (existing) {
      if (existing.payment_id !== paymentId) throw new ApiError(409, 'refund_request_reused', `refund request ${request.refundRequestId} belongs to payment ${existing.payment_id}`);
      return existing;
    }
    const row = await this.#locked(trx, paymentId);
    if (request.amount && request.amount.currency !== row.currency) {
      throw new ApiError(400, 'currency_mismatch', `payment ${paymentId} is in ${row.currency}, the refund asks for ${request.amount.currency}`);
    }
    const amount = exactAmount ?? request.amount?.amount ?? refundableAmount(stateOf(row));
    const result = transition(stateOf(row), { type: 'REFUND_REQUESTED', amount });
    if (!result.ok) throw rejection(result, { status: row.status, refundable: refundableAmount(stateOf(row)) });
    const refund = await db.insertInto('refunds').values({
      id: newId('ref'), payment_id: paymentId, refund_request_id: request.refundRequestId, amount, currency: row.currency,
      reason: request.reason, status: 'pending', stripe_refund_id: null, failure_reason: null,
      correlation_id: meta.correlationId ?? row.correlation_id, causation_id: meta.causationId ?? null, updated_at: new Date(),
    }).returningAll().executeTakeFirstOrThrow();
    const updated = await updatePayment(trx, this.#options.schema, row, stateChanges(result.state));
    publish?.(...effectEvents(updated, result.effects, refund, meta.causationId ?? null));
    return refund;
  }

  async refund(paymentId: string, request: RefundRequest): Promise<CommandResult & { refundId: string }> {
    const refund = await this.#transaction((trx, publish) => this.requestRefundIn(trx, paymentId, request, publish));
    const problem = await this.executeRefund(refund.id);
    return { payment: await this.view(paymentId), gatewayProblem: problem, refundId: refund.id };
  }

  /** Asks the gateway for a pending refund (again, after a fault: the refund id is the idempotency key). */
  async executeRefund(refundId: string): Promise<GatewayFailure | null> {
    const { db, schema } = this.#options;
    const refund = await paymentDb(db, schema).selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirst();
    if (!refund || refund.status !== 'pending') return null;
    const payment = await findPayment(db, schema, refund.payment_id);
    if (!payment?.stripe_payment_intent_id) return null;
    try {
      const answer = await this.#options.gateway.createRefund({
        intentId: payment.stripe_payment_intent_id, amount: refund.amount, reason: refund.reason,
        metadata: { paymentId: payment.id, orderId: payment.order_id, refundId: refund.id },
      }, { paymentId: payment.id, refundId: refund.id, idempotencyKey: `${refund.id}:create` });
      await this.applyRefund(refund.id, answer);
      return null;
    } catch (error) {
      if (!(error instanceof GatewayFailure)) throw error;
      if (error.kind === 'rejected') await this.applyRefund(refund.id, { id: '', status: 'failed', amount: refund.amount, failureReason: error.message });
      return error;
    }
  }

  /**
   * A refund made at the gateway without paysaga (the Stripe dashboard, support
   * tooling): recorded so the payment's refunded total matches the gateway's.
   */
  async recordGatewayRefund(trx: Kysely<unknown>, paymentId: string, answer: GatewayRefund, publish: (...messages: OutboxMessage[]) => void): Promise<boolean> {
    if (answer.status === 'failed' || answer.status === 'canceled') return false;
    const refund = await this.requestRefundIn(trx, paymentId, {
      refundRequestId: `gateway:${answer.id}`, amount: null, reason: 'refunded at the gateway',
    }, publish, {}, answer.amount).catch((error: unknown) => {
      if (error instanceof ApiError) return null; // nothing left to refund in paysaga's view: stale news
      throw error;
    });
    if (!refund) return false;
    await paymentDb(trx, this.#options.schema).updateTable('refunds').set({ stripe_refund_id: answer.id }).where('id', '=', refund.id).execute();
    if (answer.status === 'succeeded') await this.applyRefund(refund.id, answer, trx, publish);
    return true;
  }

  /** Settles a refund from the gateway's answer or a refund webhook; a settled refund ignores later news. */
  async applyRefund(refundId: string, answer: GatewayRefund, trx?: Kysely<unknown>, publishInto?: (...messages: OutboxMessage[]) => void): Promise<boolean> {
    const work = async (tx: Kysely<unknown>, publish: (...messages: OutboxMessage[]) => void): Promise<boolean> => {
      const db = paymentDb(tx, this.#options.schema);
      const head = await db.selectFrom('refunds').select('payment_id').where('id', '=', refundId).executeTakeFirst();
      if (!head) return false;
      const payment = await this.#locked(tx, head.payment_id);
      const refund = await db.selectFrom('refunds').selectAll().where('id', '=', refundId).forUpdate().executeTakeFirstOrThrow();
      if (refund.status !== 'pending') return false;
      const stripeRefundId = answer.id || refund.stripe_refund_id;
      if (answer.status === 'pending' || answer.status === 'requires_action') {
        if (stripeRefundId !== refund.stripe_refund_id) await db.updateTable('refunds').set({ stripe_refund_id: stripeRefundId, updated_at: new Date() }).where('id', '=', refundId).execute();
        return false;
      }
      const succeeded = answer.status === 'succeeded';
      const result = transition(stateOf(payment), { type: succeeded ? 'REFUND_SUCCEEDED' : 'REFUND_FAILED', amount: refund.amount });
      if (!result.ok) throw new Error(`refund ${refundId} cannot settle: ${result.rejection.message}`);
      const settled = await db.updateTable('refunds').set({
        status: succeeded ? 'succeeded' : 'failed', stripe_refund_id: stripeRefundId,
        failure_reason: succeeded ? null : answer.failureReason ?? 'refused by the gateway', updated_at: new Date(),
      }).where('id', '=', refundId).returningAll().executeTakeFirstOrThrow();
      const updated = await updatePayment(tx, this.#options.schema, payment, stateChanges(result.state));
      publish(...effectEvents(updated, result.effects, settled, null));
      return true;
    };
    if (trx && publishInto) return work(trx, publishInto);
    return this.#transaction(work);
  }
}
