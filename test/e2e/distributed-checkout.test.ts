import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGatewaySimulator, type GatewaySimulator } from '../../src/gateway/simulator/index.ts';
import { eventually, kafkaBrokers, postgresUrl, settleAll, testSecrets, uniqueName } from '../support/env.ts';
import { checkoutScenarios } from './checkout-scenarios.ts';
import { MarketplaceClient, PIZZA } from './marketplace-client.ts';
import { freePortBlock } from '../support/ports.ts';
import { ServiceInstance } from '../../src/cli/chaos/service-fleet.ts';

type Json = Record<string, unknown>;
const SERVICES = ['payment', 'order', 'inventory', 'delivery', 'notification', 'saga'] as const;
type Name = typeof SERVICES[number];
const root = join(import.meta.dirname, '..', '..');
const { AUTH_SECRET, STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } = testSecrets();

describe('distributed mode: each service its own process on Kafka and PostgreSQL', () => {
  const processes = new Map<Name, ServiceInstance>();
  let extraInventory: ServiceInstance | null = null;
  // Each service's output goes to a file of its own here (kept after the run: the place to look when a test fails).
  const logDir = mkdtempSync(join(tmpdir(), 'paysaga-e2e-'));
  let simulator: GatewaySimulator;
  let client: MarketplaceClient;
  let env: Record<string, string>;
  let firstPort = 0;

  before(async () => {
    simulator = await startGatewaySimulator({ port: 0, webhookUrl: null, webhookSecret: WEBHOOK_SECRET, webhookRetry: { attempts: 8, baseDelayMs: 200, maxDelayMs: 2_000 } });
    env = {
      KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: uniqueName('e2e'),
      AUTH_SECRET, STRIPE_API_KEY, STRIPE_API_BASE: simulator.url, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, CHECKOUT_PAYMENT_DEADLINE_MS: '300000',
      SAGA_COMMAND_TIMEOUT_MS: '20000', NOTIFICATION_LOG_FILE: '/dev/null', DATABASE_MAX_CONNECTIONS: '6', PAYMENT_RECONCILE_AFTER_MS: '3000', PAYMENT_RECONCILE_INTERVAL_MS: '1000',
    };
    // Killed processes start again on their ports: a block below the ephemeral range, so no connection takes one meanwhile.
    firstPort = await freePortBlock(SERVICES.length + 1);
    for (const [index, name] of SERVICES.entries()) processes.set(name, new ServiceInstance(name, firstPort + index, name, env, logDir));
    // Schemas are created by the first start of each service; start them one by one so the migrations never race.
    for (const service of processes.values()) await service.start();
    const url = (name: Name): string => processes.get(name)?.url ?? '';
    simulator.setWebhookEndpoint(`${url('payment')}/webhooks/stripe`, WEBHOOK_SECRET);
    client = await MarketplaceClient.create({
      checkout: url('saga'), payment: url('payment'), order: url('order'), inventory: url('inventory'), delivery: url('delivery'), notification: url('notification'),
    }, AUTH_SECRET);
  });

  after(async () => {
    await extraInventory?.stop();
    await Promise.all([...processes.values()].map((service) => service.stop()));
    for (const service of [...processes.values(), ...(extraInventory ? [extraInventory] : [])]) service.close();
    await simulator.close();
  });

  checkoutScenarios(() => client);

  test('the CLI reads a saga\'s timeline and the dead letters from the database', async () => {
    const checkout = await client.checkout(1);
    assert.equal((await client.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
    await client.sagaReaches(String(checkout.body.sagaId), 'COMPLETED');
    const run = (args: string[]): string => {
      const result = spawnSync(join(root, 'node_modules', '.bin', 'node'), [join(root, 'src', 'cli', 'main.ts'), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      return result.stdout;
    };
    const timeline = run(['saga', String(checkout.body.sagaId)]);
    assert.match(timeline, /checkout .* COMPLETED/);
    assert.match(timeline, /create-delivery\s+succeeded/);
    run(['dead-letters', 'list']);
  });

  test('a step\'s service down for a while: the saga waits at that step and resumes when it is back', async () => {
    const delivery = processes.get('delivery');
    assert.ok(delivery);
    await delivery.stop();
    const checkout = await client.checkout(1);
    assert.equal(checkout.status, 201, checkout.text);
    assert.equal((await client.pay(String(checkout.body.paymentId), 'pm_card_visa')).status, 200);
    await eventually('waiting at create-delivery', async () => (await client.saga(String(checkout.body.sagaId))).step === 'create-delivery');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal((await client.saga(String(checkout.body.sagaId))).status, 'RUNNING');
    await delivery.start();
    await client.sagaReaches(String(checkout.body.sagaId), 'COMPLETED', 60_000);
    assert.equal((await client.deliveries(String(checkout.body.orderId))).length, 1);
  });

  test('the orchestrator killed mid-saga and restarted: every saga completes, once', async () => {
    const saga = processes.get('saga');
    assert.ok(saga);
    const before = await client.available(PIZZA.productId);
    const checkouts = await Promise.all(Array.from({ length: 8 }, () => client.checkout(1)));
    assert.deepEqual(checkouts.map((checkout) => checkout.status), Array.from({ length: 8 }, () => 201));
    await Promise.all(checkouts.map((checkout) => client.pay(String(checkout.body.paymentId), 'pm_card_visa')));
    // Killed once every saga knows it is paid (so the payment deadline cannot win the race with the restart), while the stock, order and delivery steps are under way.
    await eventually('every saga past the payment', async () => {
      const sagas = await Promise.all(checkouts.map((checkout) => client.saga(String(checkout.body.sagaId))));
      return sagas.every((view) => view.step !== 'await-payment' && view.step !== 'create-payment');
    });
    await saga.kill();
    await saga.start();
    for (const checkout of checkouts) await client.sagaReaches(String(checkout.body.sagaId), 'COMPLETED', 90_000);
    for (const checkout of checkouts) assert.equal((await client.deliveries(String(checkout.body.orderId))).length, 1);
    assert.equal(await client.available(PIZZA.productId), before - 8);
  });

  test('scale-out: two inventory instances share the partitions; killing one mid-saga completes every saga once', async () => {
    extraInventory = new ServiceInstance('inventory', firstPort + SERVICES.length, 'inventory-2', env, logDir);
    await extraInventory.start();
    const before = await client.available(PIZZA.productId);
    const checkouts = await Promise.all(Array.from({ length: 12 }, () => client.checkout(1)));
    assert.deepEqual(checkouts.map((checkout) => checkout.status), Array.from({ length: 12 }, () => 201));
    await Promise.all(checkouts.map((checkout) => client.pay(String(checkout.body.paymentId), 'pm_card_visa')));
    await processes.get('inventory')?.kill(); // mid-saga: commits of some orders are in its partitions right now
    for (const checkout of checkouts) await client.sagaReaches(String(checkout.body.sagaId), 'COMPLETED', 90_000);
    await processes.get('inventory')?.start();
    assert.equal(await client.available(PIZZA.productId), before - 12, 'each order\'s stock taken exactly once');
    for (const checkout of checkouts) {
      const sent = await eventually('one confirmation', async () => {
        const notifications = await client.notifications(String(checkout.body.orderId));
        return notifications.length > 0 ? notifications : undefined;
      });
      assert.equal(sent.length, 1);
    }
  });

  test('200 concurrent checkouts of a product with 50 in stock confirm exactly 50 orders; the other 150 fail cleanly', async () => {
    const productId = uniqueName('last-items').replaceAll('_', '-');
    const created = await client.call('POST', `${client.endpoints.inventory}/products`, 'admin', {
      id: productId, restaurantId: 'resto-1', name: 'Last Tiramisu', unitPrice: { amount: 650, currency: 'USD' }, stock: 50,
    });
    assert.equal(created.status, 201, created.text);
    const item = { productId, name: 'Last Tiramisu', quantity: 1, unitPrice: { amount: 650, currency: 'USD' } };
    const answers = await Promise.all(Array.from({ length: 200 }, () => client.call('POST', `${client.endpoints.checkout}/checkout`, 'customer', {
      restaurantId: 'resto-1', items: [item], deliveryAddress: '1 Main Street',
    })));
    // 202 means the saga is still on its way (the API's contract): follow it until it holds a payment or has compensated.
    // One poller walks the waiting sagas in turn: 200 pollers at once loaded the fleet they waited for (CI timed out).
    const followed = await settleAll(answers.filter((answer) => answer.status === 202).map((answer) => String(answer.body.sagaId)),
      async (sagaId) => {
        const view = await client.saga(sagaId);
        return (view.data as Json).paymentId || view.status === 'COMPENSATED' ? view : undefined;
      }, 300_000);
    const settled = answers.map((answer) => {
      if (answer.status !== 202) return answer;
      const saga = followed.get(String(answer.body.sagaId)) as Json;
      const data = saga.data as Json;
      return saga.status === 'COMPENSATED'
        ? { status: 409, text: '', body: { error: { code: 'checkout_failed', details: { orderId: data.orderId } } } }
        : { status: 201, text: '', body: { orderId: data.orderId, sagaId: saga.id, paymentId: data.paymentId } };
    });
    const accepted = settled.filter((answer) => answer.status === 201);
    const refused = settled.filter((answer) => answer.status === 409);
    const waited = answers.filter((answer) => answer.status === 202).length;
    console.log(`# 200 checkouts of 50 in stock: accepted ${accepted.length}, refused ${refused.length} (${waited} answered 202 and were followed)`);
    assert.equal(accepted.length, 50);
    assert.equal(refused.length, 150);
    await Promise.all(accepted.map((answer) => client.pay(String(answer.body.paymentId), 'pm_card_visa')));
    for (const answer of accepted) await client.orderReaches(String(answer.body.orderId), 'CONFIRMED', 60_000);
    for (const answer of refused) {
      const orderId = String(((answer.body.error as Json).details as Json).orderId);
      await client.sagaReaches(`checkout-${orderId}`, 'COMPENSATED');
      await client.orderReaches(orderId, 'CANCELLED');
    }
    const product = (await client.call('GET', `${client.endpoints.inventory}/products/${productId}`, 'admin')).body;
    assert.deepEqual([product.onHand, product.reserved, product.available], [0, 0, 0], 'all 50 sold, nothing left reserved');
  });
});
