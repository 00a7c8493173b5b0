import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { issueToken, useBearerAuth } from '../../../src/platform/http/auth.ts';
import { createHttpServer, registeredRoutes } from '../../../src/platform/http/http-server.ts';
import { createLogger } from '../../../src/platform/observability/logger.ts';

const SECRET = 'paysaga-http-server-test-secret-0123456789';
type Json = Record<string, unknown>;

describe('createHttpServer: the conventions every route gets', () => {
  let app: FastifyInstance;
  const logLines: Json[] = [];
  let handled = 0;
  before(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => { for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Json); });
    app = await createHttpServer({ title: 'test', logger: createLogger({ level: 'info', destination: stream }) });
    useBearerAuth(app, { secret: SECRET });
    app.post('/echo/:id', { schema: { params: Type.Object({ id: Type.String() }), body: Type.Object({}, { additionalProperties: true }) } }, async (request) => {
      handled += 1;
      return { params: request.params, body: request.body };
    });
    app.get('/boom', async () => { throw new Error('the database went away'); });
    app.get('/secrets', async () => ({
      payments: [{ customerId: 'cust-a', clientSecret: 'pi_1_secret_a' }, { customerId: 'cust-b', clientSecret: 'pi_2_secret_b' }],
      answer: { orderId: 'o', clientSecret: 'pi_3_secret_c' },
    }));
  });
  after(async () => { await app.close(); });

  const token = (subject: string, role: 'customer' | 'restaurant' | 'courier' | 'admin'): Promise<string> => issueToken(SECRET, { subject, role });
  async function call(method: 'GET' | 'POST', url: string, payload?: string): Promise<{ status: number; body: Json }> {
    const response = await app.inject({
      method, url, headers: { authorization: `Bearer ${await token('cust-a', 'customer')}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload }),
    });
    return { status: response.statusCode, body: response.json<Json>() };
  }

  test('text PostgreSQL cannot store is refused with 400 in params, querystring, body values and keys, before the handler runs', async () => {
    const before = handled;
    for (const [url, payload] of [
      ['/echo/%00', '{}'],
      ['/echo/ok?q=%00', '{}'],
      ['/echo/ok', '{"name":"a\\u0000b"}'],
      ['/echo/ok', '{"name":"\\ud800"}'],
      ['/echo/ok', '{"deep":{"er":["\\udc00 lone low"]}}'],
      ['/echo/ok', '{"a\\u0000key":1}'],
      ['/echo/ok', `${'['.repeat(40)}${']'.repeat(40)}`.replace(/^\[/, '{"x":[').replace(/\]$/, ']}')],
    ] as const) {
      const answer = await call('POST', url, payload);
      assert.equal(answer.status, 400, `${url} ${payload}`);
      const error = answer.body.error as Json;
      assert.equal(error.code, 'invalid_request');
      assert.equal(typeof error.message, 'string');
    }
    assert.equal(handled, before, 'no handler ran');
    const fine = await call('POST', '/echo/ok', '{"name":"Crème brûlée 🍮","nested":{"list":["\\ud83c\\udf55"]}}');
    assert.equal(fine.status, 200, 'well-formed text, emoji (surrogate pairs) included, passes');
  });

  test('a 5xx answers the structured error and is logged at error with its stack and the request, never its headers', async () => {
    const answer = await call('GET', '/boom');
    assert.equal(answer.status, 500);
    assert.equal((answer.body.error as Json).code, 'internal_error');
    const line = logLines.find((entry) => entry.level === 'error' && entry.err !== undefined);
    assert.ok(line, 'an error line was written');
    assert.match(String((line.err as Json).stack), /the database went away\n\s+at /);
    assert.deepEqual({ ...(line.request as Json), requestId: null }, { method: 'GET', url: '/boom', route: '/boom', requestId: null, principal: 'customer:cust-a' });
    assert.ok(!JSON.stringify(line).includes('Bearer'), 'no token in the log');
  });

  test('a client secret reaches only the customer it belongs to, on any route', async () => {
    const as = async (subject: string, role: 'customer' | 'restaurant' | 'courier' | 'admin'): Promise<Json> =>
      (await app.inject({ method: 'GET', url: '/secrets', headers: { authorization: `Bearer ${await token(subject, role)}` } })).json<Json>();
    const owner = await as('cust-a', 'customer');
    assert.deepEqual((owner.payments as Json[]).map((payment) => payment.clientSecret), ['pi_1_secret_a', null]);
    assert.equal((owner.answer as Json).clientSecret, null, 'without a customerId beside it a secret is never shown');
    for (const [subject, role] of [['cust-a', 'restaurant'], ['cust-a', 'courier'], ['cust-a', 'admin']] as const) {
      assert.deepEqual(((await as(subject, role)).payments as Json[]).map((payment) => payment.clientSecret), [null, null], role);
    }
  });

  test('registeredRoutes lists every route added, without HEAD twins', () => {
    const routes = registeredRoutes(app).map((route) => `${route.method} ${route.url}`);
    for (const route of ['GET /openapi.json', 'POST /echo/:id', 'GET /boom', 'GET /secrets']) assert.ok(routes.includes(route), route);
    assert.ok(!routes.some((route) => route.startsWith('HEAD ')));
  });
});
