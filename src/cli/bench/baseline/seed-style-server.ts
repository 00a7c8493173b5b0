/**
 * The seed-style baseline: paysaga's checkout written the way the seeds
 * (/shared/seeds 001–002) do it — kafkajs, one topic per event type, each
 * service writes its row and then publishes (no outbox: a crash between the two
 * loses the event), every consumed message is its own transaction and its own
 * offset commit (autoCommitThreshold 1), partitions handled one message at a
 * time (kafkajs' default). Same steps, same gateway simulator, same PostgreSQL.
 *
 *   node seed-style-server.ts --port 3100 --database-url postgres://… --kafka-brokers 127.0.0.1:9092 --prefix seedbench-1a2b-
 *
 * Only for `paysaga bench --compare`: it checks no token and keeps no guarantee paysaga keeps.
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { comparisonServer, listen } from '../comparison/comparison-http.ts';
import { ComparisonStore, confirmIntent, createIntent, paymentIdOf, startGateway } from '../comparison/comparison-store.ts';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'database-url': { type: 'string' }, 'kafka-brokers': { type: 'string' }, prefix: { type: 'string' }, schema: { type: 'string' } } });
const port = Number(values.port ?? 3100);
const prefix = values.prefix ?? 'seedbench-';
const brokers = (values['kafka-brokers'] ?? '127.0.0.1:9092').split(',');
const store = new ComparisonStore(values['database-url'] ?? 'postgres://postgres@127.0.0.1:5432/test', values.schema ?? 'seedbench');
await store.migrate();
const { simulator, stripe } = await startGateway();

const TOPICS = ['order-created', 'stock-reserved', 'stock-failed', 'payment-initiated', 'payment-completed', 'payment-failed', 'stock-committed'] as const;
type Topic = typeof TOPICS[number];
const kafka = new Kafka({ clientId: `${prefix}baseline`, brokers, logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: TOPICS.map((topic) => ({ topic: `${prefix}${topic}`, numPartitions: 3 })), waitForLeaders: true });
await admin.disconnect();
const producer: Producer = kafka.producer();
await producer.connect();

interface OrderEvent { orderId: string; productId: string; amount: number; currency: string; paymentId?: string }
const publish = async (topic: Topic, event: OrderEvent): Promise<void> => {
  await producer.send({ topic: `${prefix}${topic}`, messages: [{ key: event.orderId, value: JSON.stringify(event) }] });
};

/** One consumer group per service, as the seeds run one service per process. */
async function service(name: string, handlers: Partial<Record<Topic, (event: OrderEvent) => Promise<void>>>): Promise<void> {
  const consumer = kafka.consumer({ groupId: `${prefix}${name}` });
  await consumer.connect();
  await consumer.subscribe({ topics: Object.keys(handlers).map((topic) => `${prefix}${topic}`), fromBeginning: true });
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ topic, message }) => {
      const handler = handlers[topic.slice(prefix.length) as Topic];
      if (handler && message.value) await handler(JSON.parse(message.value.toString()) as OrderEvent);
    },
  });
}

await service('inventory', {
  'order-created': async (event) => { await publish(await store.reserveStock(event.productId) ? 'stock-reserved' : 'stock-failed', event); },
  'payment-completed': async (event) => { await store.commitStock(event.productId); await publish('stock-committed', event); },
  'payment-failed': async (event) => { await store.releaseStock(event.productId); },
});
await service('payment', {
  'stock-reserved': async (event) => {
    const intent = await createIntent(stripe, event.orderId, event.amount, event.currency);
    const paymentId = paymentIdOf(event.orderId);
    await store.recordPayment({ id: paymentId, orderId: event.orderId, ...intent });
    await publish('payment-initiated', { ...event, paymentId });
  },
});
await service('order', {
  'stock-committed': async (event) => { await store.setOrderStatus(event.orderId, 'CONFIRMED'); },
  'stock-failed': async (event) => { await store.setOrderStatus(event.orderId, 'PAYMENT_FAILED'); },
  'payment-failed': async (event) => { await store.setOrderStatus(event.orderId, 'PAYMENT_FAILED'); },
});

const server = comparisonServer(store, {
  async startCheckout(order) {
    await store.createOrder(order);
    await publish('order-created', { orderId: order.id, productId: order.productId, amount: order.amount, currency: order.currency });
  },
  async confirm(paymentId, paymentMethod) {
    const payment = await store.payment(paymentId);
    if (!payment) return 'unknown-payment';
    const order = await store.order(payment.orderId);
    if (!order) return 'unknown-payment';
    const outcome = await confirmIntent(stripe, payment.intentId, paymentMethod);
    await store.setPaymentStatus(paymentId, outcome === 'succeeded' ? 'COMPLETED' : 'FAILED');
    await publish(outcome === 'succeeded' ? 'payment-completed' : 'payment-failed', { orderId: order.id, productId: order.productId, amount: 0, currency: 'USD', paymentId });
    return outcome;
  },
}, 'seed-style');
await listen(server, port);
console.log(`seed-style baseline on http://127.0.0.1:${port} (gateway ${simulator.url})`);

const stop = (): void => {
  server.close();
  void Promise.allSettled([producer.disconnect(), simulator.close(), store.close()]).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
