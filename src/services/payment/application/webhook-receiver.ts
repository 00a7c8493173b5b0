import type { Kysely } from 'kysely';
import type { OutboxMessage } from '../../../platform/outbox/outbox.ts';
import type { WebhookEventView } from '../gateway/card-gateway.ts';
import { paymentDb } from '../store/tables.ts';
import type { PaymentApplication } from './payment-application.ts';
import { webhookReceivedEvent } from './payment-events.ts';
import { findPayment, findPaymentByIntent } from './payment-repository.ts';
import type { PaymentRow } from './payment-view.ts';

export type WebhookOutcome = 'applied' | 'ignored' | 'duplicate' | 'unmatched';

/**
 * Applies verified Stripe webhooks. Each Stripe event id is received once (the
 * receipt row is the dedup key, written in the same transaction as the effect);
 * the intent or refund it carries is applied through the same monotonic
 * settle as every other report, so duplicates, late and out-of-order events
 * leave the payment in the right final state.
 */
export class WebhookReceiver {
  readonly #app: PaymentApplication;
  readonly #db: Kysely<unknown>;
  readonly #schema: string;

  constructor(app: PaymentApplication, db: Kysely<unknown>, schema: string) {
    this.#app = app;
    this.#db = db;
    this.#schema = schema;
  }

  async #paymentOf(event: WebhookEventView): Promise<PaymentRow | undefined> {
    const metadataId = event.subject.metadata.paymentId;
    if (metadataId) {
      const byMetadata = await findPayment(this.#db, this.#schema, metadataId);
      if (byMetadata) return byMetadata;
    }
    const intentId = event.subject.intentId;
    return intentId ? findPaymentByIntent(this.#db, this.#schema, intentId) : undefined;
  }

  async receive(event: WebhookEventView): Promise<WebhookOutcome> {
    // No read of the receipts first: the receipt's insert, in the effect's transaction, is what decides a duplicate
    // (it rolls the effect back). A look-up before it cost every webhook a statement — in PostgreSQL a transaction —
    // to spare the rare duplicate a rolled-back one.
    const payment = await this.#paymentOf(event);
    let outcome: WebhookOutcome = payment ? 'ignored' : 'unmatched';
    // The receipt, the webhook-received event and the effect commit together; a racing duplicate loses on the receipt's key.
    const record = async (trx: Kysely<unknown>, row: PaymentRow | undefined, publish: (...messages: OutboxMessage[]) => void): Promise<boolean> => {
      const inserted = await paymentDb(trx, this.#schema).insertInto('webhook_receipts')
        .values({ stripe_event_id: event.id, type: event.type, payment_id: row?.id ?? null, outcome })
        .onConflict((conflict) => conflict.column('stripe_event_id').doNothing()).returning('stripe_event_id').executeTakeFirst();
      if (!inserted) throw new DuplicateWebhook();
      if (row) publish(webhookReceivedEvent(row, event.id, event.type));
      return true;
    };
    try {
      if (payment && event.intent) {
        const intent = event.intent;
        await this.#app.applyIntent(payment.id, intent, async (trx, row, publish, changed) => {
          outcome = changed ? 'applied' : 'ignored';
          await record(trx, row, publish);
        }, payment);
        return outcome;
      }
      if (payment && event.refund) {
        const refund = event.refund;
        // A refund proves a capture: if that news has not arrived yet, ask the gateway for the intent first.
        if ((payment.status === 'PENDING' || payment.status === 'PROCESSING') && payment.stripe_payment_intent_id) {
          await this.#app.applyIntent(payment.id, await this.#app.gateway.retrieveIntent(payment.stripe_payment_intent_id, { paymentId: payment.id }));
        }
        return await this.#app.transactionFor(async (trx, publish) => {
          const refundId = refund.metadata.refundId ?? await this.#refundIdOf(trx, refund.id);
          const applied = refundId
            ? await this.#app.applyRefund(refundId, refund, trx, publish)
            : await this.#app.recordGatewayRefund(trx, payment.id, refund, publish);
          outcome = applied ? 'applied' : 'ignored';
          await record(trx, payment, publish);
          return outcome;
        });
      }
      await this.#app.transactionFor((trx, publish) => record(trx, payment, publish));
      return outcome;
    } catch (error) {
      if (error instanceof DuplicateWebhook) return 'duplicate';
      throw error;
    }
  }

  async #refundIdOf(trx: Kysely<unknown>, stripeRefundId: string): Promise<string | undefined> {
    const row = await paymentDb(trx, this.#schema).selectFrom('refunds').select('id').where('stripe_refund_id', '=', stripeRefundId).executeTakeFirst();
    return row?.id;
  }
}

class DuplicateWebhook extends Error {}
