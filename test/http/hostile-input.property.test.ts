import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import fc from 'fast-check';
import { sql } from 'kysely';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { issueToken, ROLES } from '../../src/platform/http/auth.ts';
import { registeredRoutes, type RegisteredRoute } from '../../src/platform/http/http-server.ts';
import { EmbeddedPlatform } from './embedded-platform.ts';

/**
 * Every route, and the Stripe webhook, fed random, malformed and hostile
 * requests: never a 5xx, always the structured error body, and a refused
 * request writes no row in any table of any schema.
 */
const RUNS_PER_ROUTE = 50;
const WEBHOOK_SECRET = 'whsec_paysaga_local';
type Json = Record<string, unknown>;

const nul = fc.string({ maxLength: 20 }).map((text) => `${text}\u0000${text}`);
const loneSurrogate = fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff')).map(([text, half]) => `${text}${half}`);
const hostileString = fc.oneof(
  nul, loneSurrogate, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', "'; drop table orders; --", '../../etc/passwd', '%00', '\\u0000', '$where', '__proto__', 'constructor', 'ord_ok', 'margherita', 'resto-1'),
  fc.string({ minLength: 300, maxLength: 3_000 }),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(0, -1, -0, 1.5, 2 ** 53 + 2, 1e308, -1e308, 99_999_999, 100_000_000, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(),
);
const { value: hostileValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    hostileString, hostileNumber, fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(hostileString, tie('value'), { maxKeys: 4 })),
}));
const nested = (depth: number): string => `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
/** A body as the client sends it: raw text, so malformed and oversized ones are possible. */
const hostileBody = fc.oneof(
  { arbitrary: hostileValue.map((value) => JSON.stringify(value)), weight: 6 },
  { arbitrary: fc.dictionary(fc.constantFrom('orderId', 'customerId', 'restaurantId', 'items', 'amount', 'currency', 'reason', 'status', 'paymentMethod', 'deliveryAddress', 'name', 'onHand', 'note', 'id', 'unitPrice', 'stock'), hostileValue).map((value) => JSON.stringify(value)), weight: 6 },
  { arbitrary: fc.constantFrom('{', '{"a":', '[1,2', 'null', '"text"', '1e999', '123456789012345678901234567890', '{"a":1}{"b":2}', '\u0000', ''), weight: 2 },
  { arbitrary: fc.constantFrom(nested(40), nested(2_000)), weight: 1 },
  { arbitrary: fc.constant(JSON.stringify({ reason: 'x'.repeat(2 * 1024 * 1024) })), weight: 1 },
);
const contentType = fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16', undefined);
const pathSegment = fc.oneof(
  hostileString.map((text) => encodeURIComponent(text.isWellFormed() ? text : text.replace(/[\ud800-\udfff]/g, 'x'))),
  fc.constantFrom('%00', '%00abc', '%E0%A4%A', '%ED%A0%80', '%', '%zz', 'a'.repeat(5_000), 'ord_missing', 'pay_missing', 'del_missing', 'order', '1', '999999999999999999999'),
);
const queryString = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom('orderId', 'limit', 'status', 'restaurantId', 'service', 'paymentId', 'x'), pathSegment), { maxLength: 4 })
    .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join('&')),
  fc.constantFrom('orderId=a&orderId=b', 'orderId[]=a', 'limit=-1', 'limit=1e3', '%00=1', 'orderId=%ED%A0%80', ''),
);

describe('hostile input on every route (embedded mode): never a 5xx, always the structured error, nothing written when refused', () => {
  let platform: EmbeddedPlatform;
  let routes: readonly RegisteredRoute[] = [];
  let countRows: () => Promise<Json> = () => Promise.resolve({});
  const tokens: string[] = [];

  before(async () => {
    platform = await EmbeddedPlatform.start();
    routes = registeredRoutes(platform.started.http);
    const db = platform.started.db;
    const tables = await sql<{ table_schema: string; table_name: string }>`
      select table_schema, table_name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`.execute(db);
    assert.ok(tables.rows.length >= SERVICE_NAMES.length * 4, `every service schema is counted (${tables.rows.length} tables)`);
    // One round trip for every table of every schema.
    const counts = sql.join(tables.rows.map((table) => sql`select ${`${table.table_schema}.${table.table_name}`}::text as name, count(*)::int as n from ${sql.id(table.table_schema, table.table_name)}`), sql` union all `);
    countRows = async () => Object.fromEntries((await sql<{ name: string; n: number }>`${counts}`.execute(db)).rows.map((row) => [row.name, row.n]));
    for (const role of ROLES) tokens.push(await platform.token(role, `${role}-1`));
    tokens.push(await issueToken('another-secret-entirely-0123456789abcdef', { subject: 'admin-1', role: 'admin' }));
    tokens.push(await issueToken(platform.started.authSecret, { subject: 'admin-1', role: 'admin' }, -60));
    tokens.push(await issueToken(platform.started.authSecret, { subject: 'cust\u0000x', role: 'customer' }));
    tokens.push(await issueToken(platform.started.authSecret, { subject: 'x'.repeat(5_000), role: 'restaurant' }));
  });
  after(async () => { await platform.stop(); });

  /** Rows settle after an accepted request (its saga, events and replies run on), so the next refused one is measured alone. */
  async function settled(): Promise<Json> {
    let last = await countRows();
    for (let attempt = 0; attempt < 50; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await countRows();
      if (JSON.stringify(now) === JSON.stringify(last)) return now;
      last = now;
    }
    return last;
  }

  /** The row counts as they stand while nothing is accepted: one count per refused request, not two. */
  let baseline: Json | null = null;

  async function check(options: InjectOptions, label: string): Promise<void> {
    const before = baseline ?? await settled();
    const response = await platform.started.http.inject(options);
    const what = `${label}: ${response.statusCode} ${response.body.slice(0, 300)}`;
    assert.ok(response.statusCode < 500, what);
    if (response.statusCode >= 400) {
      const body = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
      assert.equal(typeof body.error?.code, 'string', `structured error: ${what}`);
      assert.equal(typeof body.error?.message, 'string', `structured error: ${what}`);
      assert.deepEqual(await countRows(), before, `a refused request wrote nothing: ${what}`);
      baseline = before;
    } else {
      baseline = await settled();
    }
  }

  test('the findings: NUL in a checkout address or a product name, and in path ids, is a 400 — not a 202 or a 500', async () => {
    const customer = await platform.token('customer', 'cust-1');
    const admin = await platform.token('admin', 'admin-1');
    const before = await settled();
    const checkout = await platform.call('POST', '/checkout', customer, {
      restaurantId: 'resto-1', deliveryAddress: '1 Main\u0000Street',
      items: [{ productId: 'margherita', name: 'Pizza Margherita', quantity: 1, unitPrice: { amount: 1_200, currency: 'USD' } }],
    });
    assert.equal(checkout.status, 400, checkout.text);
    const product = await platform.call('POST', '/products', admin, { restaurantId: 'resto-1', name: 'Bad\u0000name', unitPrice: { amount: 100, currency: 'USD' }, stock: 1 });
    assert.equal(product.status, 400, product.text);
    for (const path of ['/sagas/%00', '/payments/%00', '/deliveries/%00abc', '/orders/%00', '/products/%00', '/dead-letters/order/%00', '/sagas?orderId=%00']) {
      const answer = await platform.call('GET', path, admin);
      assert.equal(answer.status, 400, `${path}: ${answer.text}`);
      assert.equal((answer.body.error as Json).code, 'invalid_request');
    }
    assert.deepEqual(await settled(), before, 'nothing was written');
  });

  test('every registered route', async () => {
    assert.ok(routes.length >= 30, `routes found: ${routes.length}`);
    for (const route of routes) {
      await fc.assert(fc.asyncProperty(
        fc.record({
          segments: fc.array(pathSegment, { minLength: 3, maxLength: 3 }), query: queryString, body: hostileBody, type: contentType,
          token: fc.option(fc.constantFrom(...tokens, 'garbage', 'Bearer', 'a.b.c'), { nil: undefined }),
          idempotencyKey: fc.option(fc.oneof(hostileString, fc.constant('k'.repeat(300))), { nil: undefined }),
          correlation: fc.option(hostileString, { nil: undefined }),
        }),
        async (input) => {
          let segment = 0;
          const url = route.url.replace(/:[A-Za-z]+/g, () => input.segments[segment++] ?? 'x');
          const headers: Record<string, string> = {
            ...(input.token === undefined ? {} : { authorization: input.token.includes('.') && input.token.length > 20 ? `Bearer ${input.token}` : input.token }),
            ...(input.type === undefined ? {} : { 'content-type': input.type }),
            ...(input.idempotencyKey === undefined ? {} : { 'idempotency-key': input.idempotencyKey }),
            ...(input.correlation === undefined ? {} : { 'x-correlation-id': input.correlation, traceparent: input.correlation }),
          };
          await check({
            method: route.method, url: `${url}${input.query ? `?${input.query}` : ''}`, headers,
            ...(route.method === 'POST' ? { payload: input.body } : {}),
          }, `${route.method} ${route.url}`);
        },
      ), { numRuns: RUNS_PER_ROUTE });
    }
  });

  test('the Stripe webhook: forged, stale, malformed and replayed signatures, hostile payloads', async () => {
    const sign = (payload: string, timestamp: number): string => `t=${timestamp},v1=${createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${payload}`).digest('hex')}`;
    const now = (): number => Math.floor(Date.now() / 1000);
    await fc.assert(fc.asyncProperty(
      fc.record({
        payload: fc.oneof(hostileBody, hostileValue.map((object) => JSON.stringify({ id: 'evt_fc', type: 'payment_intent.succeeded', data: { object } }))),
        signature: fc.constantFrom('valid', 'forged', 'stale', 'garbage', 'missing', 'empty'),
        type: contentType,
      }),
      async ({ payload, signature, type }) => {
        const header = {
          valid: sign(payload, now()), forged: `t=${now()},v1=${'ab'.repeat(32)}`, stale: sign(payload, now() - 3_600),
          garbage: 'nonsense', missing: undefined, empty: '',
        }[signature];
        const headers = { ...(header === undefined ? {} : { 'stripe-signature': header }), ...(type === undefined ? {} : { 'content-type': type }) };
        await check({ method: 'POST', url: '/webhooks/stripe', headers, payload }, `webhook (${signature})`);
        // Replayed: the same signed event again is recognised and writes nothing.
        if (signature === 'valid') {
          const before = await settled();
          const again = await platform.started.http.inject({ method: 'POST', url: '/webhooks/stripe', headers: { ...headers, 'stripe-signature': sign(payload, now()) }, payload });
          assert.ok(again.statusCode < 500, again.body);
          assert.deepEqual(await countRows(), before, `a replayed event wrote nothing: ${again.statusCode} ${again.body.slice(0, 200)}`);
        }
      },
    ), { numRuns: 100 });
  });
});
