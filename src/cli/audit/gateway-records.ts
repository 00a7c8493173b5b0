import Stripe from 'stripe';
import type { GatewayBooks, GatewayIntent, GatewayRefund } from './books.ts';
import type { GatewayRecords } from './read-books.ts';

interface ChargeSnapshot {
  id: string;
  payment_intent: string | { id: string } | null;
  captured: boolean;
  amount_captured: number;
  status: string;
}

const idOf = (value: string | { id: string } | null | undefined): string | null => (typeof value === 'string' ? value : value?.id ?? null);

/**
 * The gateway's records through Stripe's own API (the official SDK), so the
 * same reader audits Stripe's test mode and the simulator: every event is
 * listed (newest first), and each object's newest snapshot is its state. An
 * intent counts one captured charge per distinct charge seen captured.
 * Events are Stripe's record of everything that happened (kept 30 days there,
 * for the simulator's life here).
 */
export function stripeGatewayRecords(options: { apiKey: string; apiBase?: string | null }): GatewayRecords {
  const base = options.apiBase ? new URL(options.apiBase) : null;
  const stripe = new Stripe(options.apiKey, {
    // The auditor reads after the load; a gateway still answering the odd 500 is retried, not believed.
    maxNetworkRetries: 5,
    ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol === 'https:' ? 'https' : 'http' } : {}),
  });
  return {
    async read(): Promise<GatewayBooks> {
      const intents = new Map<string, GatewayIntent>();
      const refunds = new Map<string, GatewayRefund>();
      const charges = new Map<string, ChargeSnapshot>();
      for await (const event of stripe.events.list({ limit: 100 })) {
        const object = event.data.object as unknown as { object: string; id: string };
        if (object.object === 'payment_intent' && !intents.has(object.id)) {
          const intent = object as unknown as Stripe.PaymentIntent;
          intents.set(intent.id, {
            id: intent.id, status: intent.status, amount: intent.amount, amountReceived: intent.amount_received, currency: intent.currency, metadata: { ...intent.metadata }, capturedCharges: 0,
          });
        } else if (object.object === 'refund' && !refunds.has(object.id)) {
          const refund = object as unknown as Stripe.Refund;
          refunds.set(refund.id, { id: refund.id, intentId: idOf(refund.payment_intent), amount: refund.amount, status: refund.status ?? 'unknown', metadata: { ...refund.metadata } });
        } else if (object.object === 'charge' && !charges.has(object.id)) {
          charges.set(object.id, object as unknown as ChargeSnapshot);
        }
      }
      for (const charge of charges.values()) {
        const intent = intents.get(idOf(charge.payment_intent) ?? '');
        if (intent && charge.captured && charge.amount_captured > 0) intent.capturedCharges += 1;
      }
      return { intents: [...intents.values()], refunds: [...refunds.values()] };
    },
  };
}

