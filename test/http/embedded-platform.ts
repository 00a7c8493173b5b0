import type { InjectOptions } from 'fastify';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../src/cli/start.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { issueToken, type Role } from '../../src/platform/http/auth.ts';
import { eventually } from '../support/env.ts';

type Json = Record<string, unknown>;

export interface Answer {
  status: number;
  text: string;
  body: Json;
}

/** Every service in one process (in-process transport, PGlite, in-process gateway), driven through Fastify's inject. */
export class EmbeddedPlatform {
  readonly started: StartedPlatform;

  private constructor(started: StartedPlatform) {
    this.started = started;
  }

  static async start(): Promise<EmbeddedPlatform> {
    return new EmbeddedPlatform(await startPlatform({ ...loadConfig({ NOTIFICATION_LOG_FILE: '/dev/null' }), httpPort: 0 }, {
      services: SERVICE_NAMES, installSignals: false,
    }));
  }

  token(role: Role, subject: string): Promise<string> {
    return issueToken(this.started.authSecret, { subject, role });
  }

  async call(method: 'GET' | 'POST', url: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const options: InjectOptions = {
      method, url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    };
    const response = await this.started.http.inject(options);
    let parsed: Json = {};
    try { parsed = JSON.parse(response.body) as Json; } catch { parsed = {}; }
    return { status: response.statusCode, text: response.body, body: parsed };
  }

  /** A paid, completed checkout of `customerId` at `restaurantId`, its delivery claimed by `courierId`. */
  async paidOrder(parties: { customerId: string; restaurantId: string; courierId: string; productId: string; unitPrice: number }): Promise<PaidOrder> {
    const customer = await this.token('customer', parties.customerId);
    const admin = await this.token('admin', 'admin-fixtures');
    const checkout = await this.call('POST', '/checkout', customer, {
      restaurantId: parties.restaurantId, deliveryAddress: '1 Main Street',
      items: [{ productId: parties.productId, name: 'Dish', quantity: 1, unitPrice: { amount: parties.unitPrice, currency: 'USD' } }],
    });
    if (checkout.status !== 201) throw new Error(`checkout: ${checkout.status} ${checkout.text}`);
    const { orderId, sagaId, paymentId } = checkout.body as Record<string, string>;
    // The client secret never travels with the saga: the paying customer reads it from the payment service.
    const payment = await this.call('GET', `/payments/${paymentId}`, customer);
    const clientSecret = payment.body.clientSecret;
    if (typeof clientSecret !== 'string' || clientSecret === '') throw new Error(`the paying customer reads no client secret: ${payment.status} ${payment.text}`);
    const paid = await this.call('POST', `/payments/${paymentId}/confirm`, customer, { paymentMethod: 'pm_card_visa' });
    if (paid.status !== 200) throw new Error(`confirm: ${paid.status} ${paid.text}`);
    await eventually(`saga ${sagaId} completed`, async () => (await this.call('GET', `/sagas/${sagaId}`, admin)).body.status === 'COMPLETED', 60_000);
    const [delivery] = (await this.call('GET', `/deliveries?orderId=${orderId}`, admin)).body.deliveries as Json[];
    const deliveryId = String(delivery?.id);
    const claimed = await this.call('POST', `/deliveries/${deliveryId}/status`, await this.token('courier', parties.courierId), { status: 'COURIER_ASSIGNED' });
    if (claimed.status !== 200) throw new Error(`claim: ${claimed.status} ${claimed.text}`);
    return { ...parties, orderId: String(orderId), sagaId: String(sagaId), paymentId: String(paymentId), clientSecret, deliveryId };
  }

  stop(): Promise<void> {
    return this.started.stop();
  }
}

export interface PaidOrder {
  customerId: string;
  restaurantId: string;
  courierId: string;
  productId: string;
  orderId: string;
  sagaId: string;
  paymentId: string;
  clientSecret: string;
  deliveryId: string;
}
