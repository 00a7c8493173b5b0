import { resourceMissing } from './stripe-error.ts';
import type { ChargeObject, PaymentIntentObject, RefundObject, StripeObject } from './stripe-objects.ts';

/** A PaymentIntent plus what the simulator remembers about it that Stripe does not show. */
export interface IntentRecord {
  intent: PaymentIntentObject;
  /** Where the 3DS step sends the customer back to (confirm's return_url). */
  returnUrl: string | null;
}

/** Every object the simulator has created, by id; all in memory, gone when the process ends. */
export class SimulatorState {
  readonly intents = new Map<string, IntentRecord>();
  readonly charges = new Map<string, ChargeObject>();
  readonly refunds = new Map<string, RefundObject>();

  intent(id: string, param = 'id'): IntentRecord {
    const record = this.intents.get(id);
    if (record === undefined) throw resourceMissing('payment_intent', id, param);
    return record;
  }

  charge(id: string, param = 'id'): ChargeObject {
    const charge = this.charges.get(id);
    if (charge === undefined) throw resourceMissing('charge', id, param);
    return charge;
  }

  refund(id: string): RefundObject {
    const refund = this.refunds.get(id);
    if (refund === undefined) throw resourceMissing('refund', id);
    return refund;
  }

  /** Any stored object by id, for `expand[]`. */
  lookup(id: string): StripeObject | undefined {
    return this.intents.get(id)?.intent ?? this.charges.get(id) ?? this.refunds.get(id);
  }
}
