import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ReserveStock } from '../../../src/contracts/events/saga.ts';
import { DEFAULT_MENU, DEFAULT_RESTAURANT } from '../../../src/services/inventory/menu.ts';
import { openInventoryHarness, type InventoryHarness } from './inventory-harness.ts';

type Json = Record<string, unknown>;

describe('inventory HTTP API (kafka+postgres)', () => {
  let h: InventoryHarness;
  let admin: string;
  let customer: string;
  before(async () => {
    h = await openInventoryHarness({ menu: DEFAULT_MENU });
    admin = await h.token('admin');
    customer = await h.token('customer', 'cust-1');
  });
  after(async () => { await h.close(); });

  const errorOf = (body: Json): Json => body.error as Json;

  test('every route needs a bearer token', async () => {
    for (const [method, path] of [['GET', '/products'], ['GET', '/products/margherita'], ['POST', '/products'], ['POST', '/products/margherita/stock']] as const) {
      const answer = await h.request(method, path, method === 'POST' ? { body: {} } : {});
      assert.equal(answer.status, 401, `${method} ${path}`);
      assert.equal(errorOf(answer.body).code, 'unauthenticated');
    }
  });

  test('any signed-in role lists the menu with what is available (on hand − reserved)', async () => {
    const orderId = h.orderId();
    const sent = await h.send(ReserveStock, { orderId, restaurantId: 'resto-1', items: [{ productId: 'tiramisu', quantity: 5 }] });
    assert.equal((await h.replyTo(sent.commandId)).ok, true);
    for (const role of ['customer', 'restaurant', 'courier', 'admin'] as const) {
      const listed = await h.request('GET', `/products?restaurantId=${DEFAULT_RESTAURANT.id}`, { token: await h.token(role) });
      assert.equal(listed.status, 200, role);
      const products = listed.body.products as Json[];
      assert.deepEqual(products.map((product) => product.id), ['carbonara', 'espresso', 'margherita', 'tiramisu']);
    }
    const one = await h.request('GET', '/products/tiramisu', { token: customer });
    assert.equal(one.status, 200);
    const { updatedAt, ...rest } = one.body;
    assert.match(String(updatedAt), /^\d{4}-\d{2}-\d{2}T/);
    assert.deepEqual(rest, {
      id: 'tiramisu', restaurantId: 'resto-1', name: 'Tiramisu', unitPrice: { amount: 650, currency: 'USD' }, active: true, onHand: 20, reserved: 5, available: 15,
    });
    const other = await h.request('GET', '/products?restaurantId=resto-none', { token: customer });
    assert.deepEqual(other.body, { products: [] });
  });

  test('unknown product → 404; malformed id or query → 400 with the structured error', async () => {
    const missing = await h.request('GET', '/products/no-such-dish', { token: customer });
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing.body).code, 'not_found');
    const malformed = await h.request('GET', '/products/bad%20id', { token: customer });
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed.body).code, 'invalid_request');
    const query = await h.request('GET', '/products?colour=red', { token: customer });
    assert.equal(query.status, 400);
  });

  test('only an admin adds products; the new product is listed with its stock', async () => {
    const body = { id: 'lasagne', restaurantId: 'resto-1', name: 'Lasagne', unitPrice: { amount: 1_600, currency: 'EUR' }, stock: 12 };
    for (const role of ['customer', 'restaurant', 'courier'] as const) {
      const refused = await h.request('POST', '/products', { token: await h.token(role), body });
      assert.equal(refused.status, 403, role);
      assert.equal(errorOf(refused.body).code, 'forbidden');
    }
    assert.equal(await h.count('products', { column: 'id', value: 'lasagne' }), 0);
    const created = await h.request('POST', '/products', { token: admin, body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.id, 'lasagne');
    assert.deepEqual([created.body.onHand, created.body.reserved, created.body.available], [12, 0, 12]);
    assert.deepEqual(created.body.unitPrice, { amount: 1_600, currency: 'EUR' });
    const again = await h.request('POST', '/products', { token: admin, body: { ...body, stock: 99 } });
    assert.equal(again.status, 409);
    assert.equal(errorOf(again.body).code, 'product_exists');
    assert.equal((await h.stockOf('lasagne')).on_hand, 12, 'a conflicting create overwrites nothing');
  });

  test('bad product bodies get 400 and write nothing: float or zero price, unknown currency, negative stock, unknown field', async () => {
    const good = { id: 'bad-one', restaurantId: 'resto-1', name: 'Bad', unitPrice: { amount: 500, currency: 'USD' }, stock: 3 };
    const bodies: Json[] = [
      { ...good, unitPrice: { amount: 5.5, currency: 'USD' } },
      { ...good, unitPrice: { amount: 0, currency: 'USD' } },
      { ...good, unitPrice: { amount: 500, currency: 'XXX' } },
      { ...good, unitPrice: { amount: '500', currency: 'USD' } },
      { ...good, stock: -1 },
      { ...good, stock: 2.5 },
      { ...good, colour: 'red' },
      { ...good, id: 'has spaces' },
      { restaurantId: 'resto-1', name: 'No price', stock: 1 },
    ];
    for (const body of bodies) {
      const answer = await h.request('POST', '/products', { token: admin, body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(errorOf(answer.body).code, 'invalid_request');
    }
    assert.equal(await h.count('products', { column: 'id', value: 'bad-one' }), 0);
  });

  test('POST /products honours Idempotency-Key: a retry replays the first answer and creates nothing more', async () => {
    const body = { restaurantId: 'resto-idem', name: 'Gnocchi', unitPrice: { amount: 1_300, currency: 'USD' }, stock: 8 };
    const headers = { 'idempotency-key': `key-${h.prefix}` };
    const first = await h.request('POST', '/products', { token: admin, body, headers });
    assert.equal(first.status, 201);
    assert.match(String(first.body.id), /^prod_[0-9a-f]+$/);
    const replay = await h.request('POST', '/products', { token: admin, body, headers });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.body.id, first.body.id);
    const listed = await h.request('GET', '/products?restaurantId=resto-idem', { token: admin });
    assert.equal((listed.body.products as Json[]).length, 1);
  });

  test('an admin stock take sets on hand absolutely, never below what is reserved (409, nothing changed)', async () => {
    const orderId = h.orderId();
    const sent = await h.send(ReserveStock, { orderId, restaurantId: 'resto-1', items: [{ productId: 'carbonara', quantity: 10 }] });
    assert.equal((await h.replyTo(sent.commandId)).ok, true);
    const forbidden = await h.request('POST', '/products/carbonara/stock', { token: customer, body: { onHand: 100 } });
    assert.equal(forbidden.status, 403);
    const below = await h.request('POST', '/products/carbonara/stock', { token: admin, body: { onHand: 9 } });
    assert.equal(below.status, 409);
    assert.equal(errorOf(below.body).code, 'stock_below_reserved');
    assert.deepEqual(errorOf(below.body).details, { productId: 'carbonara', reserved: 10, requestedOnHand: 9 });
    assert.deepEqual(await h.stockOf('carbonara'), { on_hand: 30, reserved: 10, stocked: 30 });
    const exact = await h.request('POST', '/products/carbonara/stock', { token: admin, body: { onHand: 10 } });
    assert.equal(exact.status, 200);
    assert.deepEqual([exact.body.onHand, exact.body.reserved, exact.body.available], [10, 10, 0]);
    const more = await h.request('POST', '/products/carbonara/stock', { token: admin, body: { onHand: 45 } });
    assert.deepEqual([more.body.onHand, more.body.available], [45, 35]);
    assert.deepEqual(await h.stockOf('carbonara'), { on_hand: 45, reserved: 10, stocked: 45 });
    assert.equal((await h.service.availability('carbonara'))?.conserved, true);
    const unknown = await h.request('POST', '/products/no-such-dish/stock', { token: admin, body: { onHand: 1 } });
    assert.equal(unknown.status, 404);
    const invalid = await h.request('POST', '/products/carbonara/stock', { token: admin, body: { onHand: -3 } });
    assert.equal(invalid.status, 400);
  });

  test('the routes are in the OpenAPI document with their tag', async () => {
    const spec = (await h.http.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { tags?: string[] }>> }>();
    for (const [path, method] of [['/products', 'get'], ['/products', 'post'], ['/products/{productId}', 'get'], ['/products/{productId}/stock', 'post']] as const) {
      assert.deepEqual(spec.paths[path]?.[method]?.tags, ['inventory'], `${method} ${path}`);
    }
  });
});
