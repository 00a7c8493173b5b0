import assert from 'node:assert/strict';
import { issueToken } from '../../src/platform/http/auth.ts';
import { eventually } from '../support/env.ts';

type Json = Record<string, unknown>;

/** Where each service's routes are (one URL in embedded mode, one per process in distributed mode). */
export interface Endpoints {
  checkout: string;
  payment: string;
  order: string;
  inventory: string;
  delivery: string;
  notification: string;
}

export interface Answer { status: number; body: Json; text: string }

export const PIZZA = { productId: 'margherita', name: 'Pizza Margherita', unitPrice: { amount: 1_200, currency: 'USD' as const } };

/** A customer, an admin and a courier driving the marketplace through its HTTP API, as a front end would. */
export class MarketplaceClient {
  readonly endpoints: Endpoints;
  readonly #tokens: Record<'customer' | 'admin' | 'courier', string>;

  private constructor(endpoints: Endpoints, tokens: Record<'customer' | 'admin' | 'courier', string>) {
    this.endpoints = endpoints;
    this.#tokens = tokens;
  }

  static async create(endpoints: Endpoints, secret: string, customerId = 'cust-e2e'): Promise<MarketplaceClient> {
    return new MarketplaceClient(endpoints, {
      customer: await issueToken(secret, { subject: customerId, role: 'customer' }),
      admin: await issueToken(secret, { subject: 'admin-e2e', role: 'admin' }),
      courier: await issueToken(secret, { subject: 'courier-e2e', role: 'courier' }),
    });
  }

  async call(method: 'GET' | 'POST', url: string, as: 'customer' | 'admin' | 'courier', body?: unknown): Promise<Answer> {
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.#tokens[as]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, body: text ? JSON.parse(text) as Json : {} };
  }

  checkout(quantity: number, address = '1 Main Street', paymentWindowSeconds?: number): Promise<Answer> {
    return this.call('POST', `${this.endpoints.checkout}/checkout`, 'customer', {
      restaurantId: 'resto-1', items: [{ ...PIZZA, quantity }], deliveryAddress: address, ...(paymentWindowSeconds ? { paymentWindowSeconds } : {}),
    });
  }

  async pay(paymentId: string, paymentMethod: string): Promise<Answer> {
    return this.call('POST', `${this.endpoints.payment}/payments/${paymentId}/confirm`, 'customer', { paymentMethod });
  }

  async order(orderId: string): Promise<Json> {
    return (await this.call('GET', `${this.endpoints.order}/orders/${orderId}`, 'admin')).body;
  }

  async orderReaches(orderId: string, status: string, timeoutMs = 30_000): Promise<Json> {
    return eventually(`order ${orderId} ${status}`, async () => {
      const order = await this.order(orderId);
      return order.status === status ? order : undefined;
    }, timeoutMs);
  }

  async saga(sagaId: string): Promise<Json> {
    return (await this.call('GET', `${this.endpoints.checkout}/sagas/${sagaId}`, 'admin')).body;
  }

  async sagaReaches(sagaId: string, status: string, timeoutMs = 30_000): Promise<Json> {
    return eventually(`saga ${sagaId} ${status}`, async () => {
      const saga = await this.saga(sagaId);
      return saga.status === status ? saga : undefined;
    }, timeoutMs);
  }

  async available(productId: string): Promise<number> {
    const product = await this.call('GET', `${this.endpoints.inventory}/products/${productId}`, 'admin');
    assert.equal(product.status, 200, product.text);
    return Number(product.body.available);
  }

  async payment(paymentId: string): Promise<Json> {
    return (await this.call('GET', `${this.endpoints.payment}/payments/${paymentId}`, 'admin')).body;
  }

  async deliveries(orderId: string): Promise<Json[]> {
    return (await this.call('GET', `${this.endpoints.delivery}/deliveries?orderId=${orderId}`, 'admin')).body.deliveries as Json[];
  }

  async notifications(orderId: string): Promise<Json[]> {
    return (await this.call('GET', `${this.endpoints.notification}/notifications?orderId=${orderId}`, 'admin')).body.notifications as Json[];
  }
}
