import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { registeredRoutes } from '../../src/platform/http/http-server.ts';
import { eventually } from '../support/env.ts';
import { EmbeddedPlatform, type Answer, type PaidOrder } from './embedded-platform.ts';

/**
 * Every route × every role × the caller's own resource and another party's, in
 * one table. `ok`: authorised (any answer but 401/403/404, never a 5xx; a read
 * shows the resource). `hidden`: 200, but the resource is not in it (a list of
 * someone else's order is empty). A number: exactly that status. A route the
 * server registers without a row here fails the test.
 */
type Expect = 'ok' | 'hidden' | number;
type Caller = 'customer' | 'restaurant' | 'courier' | 'admin' | 'anonymous';
type Pair = readonly [own: Expect, other: Expect];

interface Fixture {
  own: PaidOrder;
  other: PaidOrder;
  deadLetterId: string;
}

interface Row {
  route: string;
  /** The request against one resource (the caller's own, or the other party's). */
  request(resource: PaidOrder, fixture: Fixture): { url: string; body?: unknown };
  /** What must be in a read's answer when it shows the resource. */
  mark?(resource: PaidOrder): string;
  expect: Record<Caller, Pair>;
}

const ALL_OK: Pair = ['ok', 'ok'];
const SCOPED: Pair = ['ok', 404];
const LISTED: Pair = ['ok', 'hidden'];
const FORBIDDEN: Pair = [403, 403];
const UNAUTHENTICATED: Pair = [401, 401];
const adminOnly = { customer: FORBIDDEN, restaurant: FORBIDDEN, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED };
const anyone = (status: number): Record<Caller, Pair> => ({ customer: [status, status], restaurant: [status, status], courier: [status, status], admin: [status, status], anonymous: [status, status] });
const newProductId = (): string => `p-${randomBytes(5).toString('hex')}`;

const ROWS: Row[] = [
  // ── checkout service ──
  { route: 'POST /checkout', request: (r) => ({ url: '/checkout', body: { restaurantId: r.restaurantId, customerId: r.customerId, deliveryAddress: '2 Side Street', items: [{ productId: r.productId, name: 'Dish', quantity: 1, unitPrice: { amount: r.productId === 'margherita' ? 1_200 : 500, currency: 'USD' } }] } }),
    expect: { customer: ['ok', 403], restaurant: FORBIDDEN, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'GET /sagas/:sagaId', request: (r) => ({ url: `/sagas/${r.sagaId}` }), mark: (r) => r.sagaId,
    expect: { customer: SCOPED, restaurant: SCOPED, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'GET /sagas', request: (r) => ({ url: `/sagas?orderId=${r.orderId}` }), mark: (r) => r.sagaId,
    expect: { customer: LISTED, restaurant: LISTED, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'POST /orders/:orderId/refunds', request: (r) => ({ url: `/orders/${r.orderId}/refunds`, body: { amount: { amount: 1, currency: 'USD' }, reason: 'matrix' } }), expect: adminOnly },
  // ── orders ──
  { route: 'GET /orders/:orderId', request: (r) => ({ url: `/orders/${r.orderId}` }), mark: (r) => r.orderId,
    expect: { customer: SCOPED, restaurant: SCOPED, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'GET /orders', request: () => ({ url: '/orders?limit=500' }), mark: (r) => r.orderId,
    expect: { customer: LISTED, restaurant: LISTED, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'POST /orders/:orderId/status', request: (r) => ({ url: `/orders/${r.orderId}/status`, body: { status: 'PREPARING' } }),
    expect: { customer: FORBIDDEN, restaurant: SCOPED, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  // ── payments ──
  { route: 'POST /payments', request: (r, f) => ({ url: '/payments', body: { orderId: r.orderId, customerId: f.own.customerId, amount: { amount: 100, currency: 'USD' } } }),
    expect: { customer: SCOPED, restaurant: FORBIDDEN, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'GET /payments', request: (r) => ({ url: `/payments?orderId=${r.orderId}` }), mark: (r) => r.paymentId,
    expect: { customer: LISTED, restaurant: LISTED, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'GET /payments/:paymentId', request: (r) => ({ url: `/payments/${r.paymentId}` }), mark: (r) => r.paymentId,
    expect: { customer: SCOPED, restaurant: SCOPED, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'POST /payments/:paymentId/confirm', request: (r) => ({ url: `/payments/${r.paymentId}/confirm`, body: { paymentMethod: 'pm_card_visa' } }),
    expect: { customer: SCOPED, restaurant: FORBIDDEN, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'POST /payments/:paymentId/cancel', request: (r) => ({ url: `/payments/${r.paymentId}/cancel`, body: {} }),
    expect: { customer: SCOPED, restaurant: FORBIDDEN, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'POST /payments/:paymentId/refunds', request: (r) => ({ url: `/payments/${r.paymentId}/refunds`, body: { amount: { amount: 1, currency: 'USD' }, reason: 'matrix' } }), expect: adminOnly },
  { route: 'GET /gateway-errors', request: () => ({ url: '/gateway-errors' }), expect: adminOnly },
  // Verified by its Stripe signature, not a token: without one it is 400 for everyone.
  { route: 'POST /webhooks/stripe', request: () => ({ url: '/webhooks/stripe', body: { id: 'evt_x' } }), expect: anyone(400) },
  // ── deliveries ──
  { route: 'GET /deliveries/:deliveryId', request: (r) => ({ url: `/deliveries/${r.deliveryId}` }), mark: (r) => r.deliveryId,
    expect: { customer: SCOPED, restaurant: SCOPED, courier: SCOPED, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'GET /deliveries', request: (r) => ({ url: `/deliveries?orderId=${r.orderId}` }), mark: (r) => r.deliveryId,
    expect: { customer: LISTED, restaurant: LISTED, courier: LISTED, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'POST /deliveries/:deliveryId/status', request: (r) => ({ url: `/deliveries/${r.deliveryId}/status`, body: { status: 'PICKED_UP' } }),
    expect: { customer: FORBIDDEN, restaurant: FORBIDDEN, courier: SCOPED, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  // ── notifications ──
  { route: 'GET /notifications', request: (r) => ({ url: `/notifications?orderId=${r.orderId}` }), mark: (r) => r.orderId,
    expect: { customer: LISTED, restaurant: FORBIDDEN, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  // ── inventory: the menu is public to the signed-in; a restaurant keeps its own ──
  { route: 'GET /products', request: (r) => ({ url: `/products?restaurantId=${r.restaurantId}` }), mark: (r) => r.productId,
    expect: { customer: ALL_OK, restaurant: ALL_OK, courier: ALL_OK, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'GET /products/:productId', request: (r) => ({ url: `/products/${r.productId}` }), mark: (r) => r.productId,
    expect: { customer: ALL_OK, restaurant: ALL_OK, courier: ALL_OK, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'POST /products', request: (r) => ({ url: '/products', body: { id: newProductId(), restaurantId: r.restaurantId, name: 'Matrix dish', unitPrice: { amount: 100, currency: 'USD' }, stock: 1 } }),
    expect: { customer: FORBIDDEN, restaurant: ['ok', 403], courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  { route: 'POST /products/:productId/stock', request: (r) => ({ url: `/products/${r.productId}/stock`, body: { onHand: 1_000 } }),
    expect: { customer: FORBIDDEN, restaurant: ['ok', 403], courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  // Last of the order rows: a cancellation may start a refund saga.
  { route: 'POST /orders/:orderId/cancel', request: (r) => ({ url: `/orders/${r.orderId}/cancel`, body: { reason: 'matrix' } }),
    expect: { customer: SCOPED, restaurant: FORBIDDEN, courier: FORBIDDEN, admin: ALL_OK, anonymous: UNAUTHENTICATED } },
  // ── dead letters (admin) ──
  { route: 'GET /dead-letters', request: () => ({ url: '/dead-letters' }), expect: adminOnly },
  { route: 'GET /dead-letters/:service/:id', request: (_r, f) => ({ url: `/dead-letters/order/${f.deadLetterId}` }), expect: adminOnly },
  { route: 'POST /dead-letters/:service/:id/:action', request: (_r, f) => ({ url: `/dead-letters/order/${f.deadLetterId}/resolve`, body: { note: 'matrix' } }), expect: adminOnly },
  // ── the operator's dashboard ──
  // Admins only; an admin that does not ask for text/event-stream gets 406 (the stream itself: test/platform/http/change-stream.test.ts).
  { route: 'GET /changes/stream', request: () => ({ url: '/changes/stream' }), expect: adminOnly },
  { route: 'GET /metrics/summary', request: () => ({ url: '/metrics/summary' }), expect: adminOnly },
  // The page and its assets hold no data (it signs in with a token and reads the API): anyone loads them.
  { route: 'GET /dashboard', request: () => ({ url: '/dashboard' }), expect: anyone(302) },
  { route: 'GET /dashboard/*', request: () => ({ url: '/dashboard/sagas' }), expect: anyone(200) },
  // ── anonymous: probes and the API description ──
  { route: 'GET /openapi.json', request: () => ({ url: '/openapi.json' }), expect: anyone(200) },
  { route: 'GET /health/live', request: () => ({ url: '/health/live' }), expect: anyone(200) },
  { route: 'GET /health/ready', request: () => ({ url: '/health/ready' }), expect: anyone(200) },
  { route: 'GET /health', request: () => ({ url: '/health' }), expect: anyone(200) },
  // Scraped by Prometheus without a token; protected at the network (docs/observability.md).
  { route: 'GET /metrics', request: () => ({ url: '/metrics' }), expect: anyone(200) },
];

describe('authorization matrix: every route × every role × own and another party\'s resource (embedded mode)', () => {
  let platform: EmbeddedPlatform;
  let fixture: Fixture;
  const tokens = new Map<Caller, string | null>();
  /** Every answer the matrix got, with who asked: the client-secret check reads them all. */
  const answers: { caller: Caller; route: string; answer: Answer }[] = [];

  before(async () => {
    platform = await EmbeddedPlatform.start();
    const admin = await platform.token('admin', 'admin-1');
    const soup = await platform.call('POST', '/products', admin, { id: 'r2-soup', restaurantId: 'resto-2', name: 'Soup', unitPrice: { amount: 500, currency: 'USD' }, stock: 100 });
    assert.equal(soup.status, 201, soup.text);
    const own = await platform.paidOrder({ customerId: 'cust-a', restaurantId: 'resto-1', courierId: 'courier-a', productId: 'margherita', unitPrice: 1_200 });
    const other = await platform.paidOrder({ customerId: 'cust-b', restaurantId: 'resto-2', courierId: 'courier-b', productId: 'r2-soup', unitPrice: 500 });
    await platform.started.transport.publish([{ topic: 'order.commands', key: 'matrix-poison', value: Buffer.from('{not json'), headers: {} }]);
    const deadLetterId = await eventually('dead letter listed', async () => {
      const listed = await platform.call('GET', '/dead-letters?service=order', admin);
      const [order] = listed.body.services as { deadLetters: { id: string; key: string }[] }[];
      return order?.deadLetters.find((letter) => letter.key === 'matrix-poison')?.id;
    });
    fixture = { own, other, deadLetterId };
    tokens.set('customer', await platform.token('customer', own.customerId));
    tokens.set('restaurant', await platform.token('restaurant', own.restaurantId));
    tokens.set('courier', await platform.token('courier', own.courierId));
    tokens.set('admin', admin);
    tokens.set('anonymous', null);
  });
  after(async () => { await platform.stop(); });

  test('the table has exactly one row per registered route', () => {
    const registered = registeredRoutes(platform.started.http).map((route) => `${route.method} ${route.url}`).sort();
    const rows = ROWS.map((row) => row.route).sort();
    assert.deepEqual(rows.filter((route, index) => rows.indexOf(route) !== index), [], 'no route has two rows');
    assert.deepEqual(registered.filter((route) => !rows.includes(route)), [], 'every registered route has a row (add one to ROWS)');
    assert.deepEqual(rows.filter((route) => !registered.includes(route)), [], 'every row names a registered route');
  });

  for (const row of ROWS) {
    test(row.route, async () => {
      const [method] = row.route.split(' ') as ['GET' | 'POST'];
      for (const caller of ['anonymous', 'customer', 'restaurant', 'courier', 'admin'] as const) {
        for (const [index, whose] of (['own', 'other'] as const).entries()) {
          const resource = fixture[whose];
          const { url, body } = row.request(resource, fixture);
          const answer = await platform.call(method, url, tokens.get(caller) ?? null, body);
          answers.push({ caller, route: row.route, answer });
          const expected = row.expect[caller][index];
          const label = `${caller} → ${whose}: ${method} ${url} answered ${answer.status} ${answer.text.slice(0, 300)}`;
          assert.ok(answer.status < 500, label);
          if (answer.status >= 400) assert.equal(typeof (answer.body.error as { code?: unknown } | undefined)?.code, 'string', `structured error: ${label}`);
          if (typeof expected === 'number') {
            assert.equal(answer.status, expected, label);
          } else if (expected === 'hidden') {
            assert.equal(answer.status, 200, label);
            assert.ok(row.mark && !answer.text.includes(row.mark(resource)), `not shown: ${label}`);
          } else {
            assert.ok(![401, 403, 404].includes(answer.status), `authorised: ${label}`);
            if (method === 'GET' && row.mark) assert.ok(answer.status === 200 && answer.text.includes(row.mark(resource)), `shown: ${label}`);
          }
        }
      }
    });
  }

  test('a client secret appears in no answer of any route, except to the customer who pays', () => {
    assert.ok(answers.length >= ROWS.length * 10, 'the route rows ran first');
    for (const { caller, route, answer } of answers) {
      for (const resource of [fixture.own, fixture.other]) {
        const owner = caller === 'customer' && resource === fixture.own;
        if (!owner) assert.ok(!answer.text.includes(resource.clientSecret), `${caller} saw ${resource.customerId}'s client secret on ${route}`);
      }
    }
    const ownersRead = answers.find(({ caller, route }) => caller === 'customer' && route === 'GET /payments/:paymentId');
    assert.ok(ownersRead?.answer.text.includes(fixture.own.clientSecret), 'the paying customer does see theirs');
  });

  test('a restaurant cannot sell another restaurant\'s product: the checkout fails cleanly and the stock is untouched', async () => {
    const customer = tokens.get('customer') ?? null;
    const before = Number((await platform.call('GET', '/products/margherita', customer)).body.available);
    const answer = await platform.call('POST', '/checkout', customer, {
      restaurantId: 'resto-2', deliveryAddress: '1 Main Street',
      items: [{ productId: 'margherita', name: 'Pizza Margherita', quantity: 2, unitPrice: { amount: 1_200, currency: 'USD' } }],
    });
    assert.equal(answer.status, 409, answer.text);
    assert.match(String((answer.body.error as { message?: unknown }).message), /other_restaurant: margherita is not on the menu of resto-2/);
    const orderId = String(((answer.body.error as { details?: Record<string, unknown> }).details ?? {}).orderId);
    const admin = tokens.get('admin') ?? null;
    await eventually('order cancelled', async () => (await platform.call('GET', `/orders/${orderId}`, admin)).body.status === 'CANCELLED');
    assert.deepEqual((await platform.call('GET', `/payments?orderId=${orderId}`, admin)).body, { payments: [] }, 'nobody was charged');
    assert.equal(Number((await platform.call('GET', '/products/margherita', customer)).body.available), before, 'resto-1\'s stock did not move');
  });
});
