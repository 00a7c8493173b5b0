import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ComparisonStore } from './comparison-store.ts';

/** What differs between the two comparisons: how a checkout starts its saga and how a payment is confirmed. */
export interface ComparisonFlow {
  startCheckout(order: { id: string; customerId: string; productId: string; amount: number; currency: string }): Promise<void>;
  confirm(paymentId: string, paymentMethod: string): Promise<'succeeded' | 'declined' | 'unknown-payment'>;
}

/**
 * The slice of paysaga's HTTP API the load driver uses, over a comparison's
 * store and flow, so the same driver measures every system the same way.
 * Tokens are not checked (the comparisons are about the saga, not access).
 * GET /sagas/:id answers the order's own timestamps in paysaga's shape:
 * created, and the confirm-order step's success.
 */
export function comparisonServer(store: ComparisonStore, flow: ComparisonFlow, label: string): Server {
  const routes = async (request: IncomingMessage, path: string[]): Promise<[number, unknown]> => {
    const [first, id, action] = path;
    if (request.method === 'GET' && first === 'health') return [200, { status: 'ok' }];
    if (request.method === 'GET' && first === 'metrics') return [200, {}];
    if (request.method === 'POST' && first === 'products' && !id) {
      const body = await jsonOf(request) as { id?: string; stock?: number };
      if (typeof body.id !== 'string') return [400, { error: { code: 'invalid_request', message: 'id' } }];
      await store.addProduct(body.id, Number(body.stock ?? 1_000_000));
      return [201, { id: body.id }];
    }
    if (request.method === 'POST' && first === 'checkout') {
      const body = await jsonOf(request) as { items?: { productId: string; quantity: number; unitPrice: { amount: number; currency: string } }[] };
      const item = body.items?.[0];
      if (!item) return [400, { error: { code: 'invalid_request', message: 'items' } }];
      const orderId = `ord_${randomBytes(12).toString('hex')}`;
      await flow.startCheckout({ id: orderId, customerId: 'bench', productId: item.productId, amount: item.unitPrice.amount * item.quantity, currency: item.unitPrice.currency });
      return [202, { orderId, sagaId: orderId, paymentId: `pay_${orderId.slice(4)}`, status: 'RUNNING' }];
    }
    if (request.method === 'GET' && first === 'payments' && id) {
      const payment = await store.payment(id);
      return payment ? [200, { id: payment.id, orderId: payment.orderId, status: payment.status, clientSecret: payment.clientSecret }] : [404, { error: { code: 'not_found', message: id } }];
    }
    if (request.method === 'POST' && first === 'payments' && id && action === 'confirm') {
      const body = await jsonOf(request) as { paymentMethod?: string };
      const outcome = await flow.confirm(id, body.paymentMethod ?? 'pm_card_visa');
      if (outcome === 'unknown-payment') return [404, { error: { code: 'not_found', message: id } }];
      return outcome === 'succeeded' ? [200, { id, status: 'COMPLETED' }] : [402, { error: { code: 'card_declined', message: 'Your card was declined.' } }];
    }
    if (request.method === 'GET' && (first === 'orders' || first === 'sagas') && id) {
      const order = await store.order(id);
      if (!order) return [404, { error: { code: 'not_found', message: id } }];
      if (first === 'orders') return [200, { orderId: order.id, status: order.status }];
      const ended = order.status === 'CONFIRMED' || order.status === 'PAYMENT_FAILED';
      return [200, {
        id: order.id, status: ended ? (order.status === 'CONFIRMED' ? 'COMPLETED' : 'COMPENSATED') : 'RUNNING', createdAt: order.createdAt.toISOString(), updatedAt: order.updatedAt.toISOString(),
        timeline: order.confirmedAt ? [{ step: 'confirm-order', kind: 'succeeded', at: order.confirmedAt.toISOString() }] : [],
      }];
    }
    return [404, { error: { code: 'not_found', message: `${request.method} ${path.join('/')}` } }];
  };
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0]?.split('/').filter(Boolean) ?? [];
    routes(request, path).then(([status, body]) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }, (error: unknown) => {
      console.error(`[${label}] ${request.method} ${request.url}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } }));
    });
  });
}

async function jsonOf(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) as unknown : {};
}

/** Listens on loopback `port` and says so on stdout (the bench waits for /health). */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}
