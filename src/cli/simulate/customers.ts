import type { SeededRandom } from '../../platform/simulation/seeded-random.ts';
import { SIMULATED_MENU, type SimulatedWorld } from './simulated-world.ts';

/** What one simulated customer means to do with their order. */
export type CustomerPlan = 'pay' | 'decline' | 'abandon' | 'pay-then-cancel' | 'pay-then-refund';

const PLANS: readonly CustomerPlan[] = ['pay', 'pay', 'decline', 'abandon', 'pay-then-cancel', 'pay-then-refund', 'pay-then-refund'];
/** A customer tries a step this many times (the payment may not exist yet, the order may not be confirmed yet), then gives up. */
const MAX_TRIES = 12;
/** How often a customer looks for a payment page that is not there yet (its checkout may have failed) before leaving. */
const MAX_WAITS = 30;

interface Customer {
  index: number;
  subject: string;
  plan: CustomerPlan;
  stage: 'checkout' | 'pay' | 'after' | 'done';
  tries: number;
  orderId: string | null;
  paymentId: string | null;
}

/**
 * The sagas' load: each customer checks out (cancellation and refund sagas
 * follow from their plan), pays with a success or a decline card or never, then
 * maybe cancels or is partly refunded by an admin. Every call goes through the
 * HTTP API; a step that is not possible yet (409, 404, gateway trouble) is
 * tried again later.
 */
export class CustomerLoad {
  readonly #customers: Customer[];
  readonly #seed: number;

  constructor(seed: number, count: number, random: SeededRandom) {
    this.#seed = seed;
    this.#customers = Array.from({ length: count }, (_, index) => ({
      index, subject: `cust-${index % 7}`, plan: random.pick(PLANS), stage: 'checkout', tries: 0, orderId: null, paymentId: null,
    }));
  }

  get active(): number {
    return this.#customers.filter((customer) => customer.stage !== 'done').length;
  }

  plans(): Record<CustomerPlan, number> {
    const counts: Record<CustomerPlan, number> = { pay: 0, decline: 0, abandon: 0, 'pay-then-cancel': 0, 'pay-then-refund': 0 };
    for (const customer of this.#customers) counts[customer.plan] += 1;
    return counts;
  }

  /** One customer (drawn among those with something left to do) takes their next step; returns what happened, for the trace. */
  async step(world: SimulatedWorld, random: SeededRandom): Promise<string | null> {
    const waiting = this.#customers.filter((customer) => customer.stage !== 'done');
    if (waiting.length === 0) return null;
    const customer = random.pick(waiting);
    const as = { role: 'customer' as const, subject: customer.subject };
    const label = `customer ${customer.index} ${customer.stage}`;
    customer.tries += 1;
    if (customer.stage === 'checkout') {
      const item = random.pick(SIMULATED_MENU);
      const quantity = 1 + random.below(3);
      const response = await world.call('POST', '/checkout', as, {
        restaurantId: item.restaurantId, deliveryAddress: `${customer.index} Simulation Street`,
        items: [{ productId: item.id, name: item.name, quantity, unitPrice: item.unitPrice }],
      }, `sim-${this.#seed}-checkout-${customer.index}`);
      if (response.statusCode < 300 || response.statusCode === 409) {
        const body = response.json<{ orderId: string; paymentId: string }>();
        customer.orderId = body.orderId;
        customer.paymentId = body.paymentId;
        this.#advance(customer, response.statusCode === 409 || customer.plan === 'abandon' ? 'done' : 'pay');
      } else this.#retryOrGiveUp(customer);
      return `${label} → ${response.statusCode}`;
    }
    if (customer.stage === 'pay') {
      // A customer pays once the payment page is there (the payment has its intent); before that there is nothing to click.
      if (!(await world.paymentReady(customer.paymentId ?? ''))) {
        this.#retryOrGiveUp(customer, MAX_WAITS);
        return null;
      }
      const method = customer.plan === 'decline' ? 'pm_card_visa_chargeDeclined' : 'pm_card_visa';
      const response = await world.call('POST', `/payments/${customer.paymentId ?? ''}/confirm`, as, { paymentMethod: method });
      // 200: paid; 402: declined — both are the card's answer. Anything else: not possible yet, or the gateway in trouble.
      if (response.statusCode === 200 || response.statusCode === 402) this.#advance(customer, customer.plan.startsWith('pay-then') ? 'after' : 'done');
      else this.#retryOrGiveUp(customer);
      return `${label} → ${response.statusCode}`;
    }
    const orderId = customer.orderId ?? '';
    const response = customer.plan === 'pay-then-cancel'
      ? await world.call('POST', `/orders/${orderId}/cancel`, as, { reason: 'changed my mind' })
      : await world.call('POST', `/orders/${orderId}/refunds`, { role: 'admin', subject: 'admin-sim' }, { amount: { amount: 300 + random.below(5) * 100, currency: 'USD' }, reason: 'a dish was missing' }, `sim-${this.#seed}-refund-${customer.index}`);
    if (response.statusCode < 300) this.#advance(customer, 'done');
    else this.#retryOrGiveUp(customer);
    return `${label} → ${response.statusCode}`;
  }

  #advance(customer: Customer, stage: Customer['stage']): void {
    customer.stage = stage;
    customer.tries = 0;
  }

  #retryOrGiveUp(customer: Customer, limit = MAX_TRIES): void {
    if (customer.tries >= limit) customer.stage = 'done';
  }
}
