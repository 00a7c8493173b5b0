/**
 * The Restate peer: paysaga's checkout as a Restate workflow — the same steps
 * (create order, reserve stock, create payment, await the payment, commit
 * stock, confirm order; a decline releases the stock and fails the order),
 * each a durable `ctx.run` against the same PostgreSQL tables and the same
 * gateway simulator — behind the slice of paysaga's HTTP API the load driver
 * uses. Restate's server (a separate process) journals every step and retries
 * from the journal; PostgreSQL holds only the services' own rows.
 *
 *   node restate-peer-server.ts --port 3200 --endpoint-port 9081 --ingress http://127.0.0.1:8081 --database-url postgres://…
 *
 * Only for `paysaga bench --compare`: it checks no token.
 */
import { parseArgs } from 'node:util';
import * as restate from '@restatedev/restate-sdk';
import { comparisonServer, listen } from '../comparison/comparison-http.ts';
import { ComparisonStore, confirmIntent, createIntent, paymentIdOf, startGateway } from '../comparison/comparison-store.ts';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'endpoint-port': { type: 'string' }, ingress: { type: 'string' }, 'database-url': { type: 'string' }, schema: { type: 'string' } } });
const ingress = (values.ingress ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const store = new ComparisonStore(values['database-url'] ?? 'postgres://postgres@127.0.0.1:5432/test', values.schema ?? 'restatebench');
await store.migrate();
const { simulator, stripe } = await startGateway();

interface Order { id: string; customerId: string; productId: string; amount: number; currency: string }
type Outcome = 'succeeded' | 'declined';

const checkout = restate.workflow({
  name: 'checkout',
  handlers: {
    run: async (ctx: restate.WorkflowContext, order: Order): Promise<string> => {
      await ctx.run('create-order', () => store.createOrder(order));
      const reserved = await ctx.run('reserve-stock', () => store.reserveStock(order.productId));
      if (!reserved) {
        await ctx.run('cancel-order', () => store.setOrderStatus(order.id, 'PAYMENT_FAILED'));
        return 'out of stock';
      }
      await ctx.run('create-payment', async () => {
        const intent = await createIntent(stripe, order.id, order.amount, order.currency);
        await store.recordPayment({ id: paymentIdOf(order.id), orderId: order.id, ...intent });
      });
      const outcome = await ctx.promise<Outcome>('payment').get();
      if (outcome === 'declined') {
        await ctx.run('release-stock', () => store.releaseStock(order.productId));
        await ctx.run('fail-order', () => store.setOrderStatus(order.id, 'PAYMENT_FAILED'));
        return 'declined';
      }
      await ctx.run('commit-stock', () => store.commitStock(order.productId));
      await ctx.run('confirm-order', () => store.setOrderStatus(order.id, 'CONFIRMED'));
      return 'confirmed';
    },
    confirm: async (ctx: restate.WorkflowSharedContext, input: { paymentId: string; paymentMethod: string }): Promise<Outcome | 'unknown-payment'> => {
      const payment = await ctx.run('read-payment', () => store.payment(input.paymentId));
      if (!payment) return 'unknown-payment';
      const outcome = await ctx.run('confirm-at-gateway', () => confirmIntent(stripe, payment.intentId, input.paymentMethod));
      await ctx.run('record-payment', () => store.setPaymentStatus(input.paymentId, outcome === 'succeeded' ? 'COMPLETED' : 'FAILED'));
      await ctx.promise<Outcome>('payment').resolve(outcome);
      return outcome;
    },
  },
});

const endpointPort = await restate.serve({ services: [checkout], port: Number(values['endpoint-port'] ?? 9080) });

const call = async (path: string, body: unknown): Promise<unknown> => {
  const response = await fetch(`${ingress}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`Restate ingress ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) as unknown : null;
};

const server = comparisonServer(store, {
  async startCheckout(order) {
    await call(`/checkout/${order.id}/run/send`, order);
  },
  async confirm(paymentId, paymentMethod) {
    const orderId = `ord_${paymentId.slice('pay_'.length)}`;
    return await call(`/checkout/${orderId}/confirm`, { paymentId, paymentMethod }) as Outcome | 'unknown-payment';
  },
}, 'restate-peer');
await listen(server, Number(values.port ?? 3200));
console.log(`restate peer on http://127.0.0.1:${values.port ?? 3200} (endpoint :${endpointPort}, gateway ${simulator.url})`);

const stop = (): void => {
  server.close();
  void Promise.allSettled([simulator.close(), store.close()]).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
