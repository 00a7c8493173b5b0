import { positiveInteger } from '../../platform/config.ts';

/** The payment service's own settings, from the environment. */
export interface PaymentConfig {
  stripe: {
    apiKey: string;
    /** Unset in embedded mode (an in-process simulator is started); a URL otherwise (https://api.stripe.com for Stripe itself). */
    apiBase: string | null;
    webhookSecret: string;
  };
  /** A payment or refund unsettled this long is re-read from the gateway. */
  reconcileAfterMs: number;
  reconcileIntervalMs: number;
}

function validUrl(name: string, raw: string): string {
  try {
    return new URL(raw).toString().replace(/\/$/, '');
  } catch {
    throw new Error(`${name} must be a URL such as http://127.0.0.1:12111, got ${JSON.stringify(raw)}`);
  }
}

export function loadPaymentConfig(env: NodeJS.ProcessEnv = process.env): PaymentConfig {
  return {
    stripe: {
      apiKey: env.STRIPE_API_KEY ?? 'sk_test_paysaga_local',
      apiBase: env.STRIPE_API_BASE ? validUrl('STRIPE_API_BASE', env.STRIPE_API_BASE) : null,
      webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? 'whsec_paysaga_local',
    },
    reconcileAfterMs: positiveInteger('PAYMENT_RECONCILE_AFTER_MS', env.PAYMENT_RECONCILE_AFTER_MS, 30_000),
    reconcileIntervalMs: positiveInteger('PAYMENT_RECONCILE_INTERVAL_MS', env.PAYMENT_RECONCILE_INTERVAL_MS, 5_000),
  };
}
