import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startPlatform, type StartedPlatform } from '../../src/cli/start.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { issueToken } from '../../src/platform/http/auth.ts';

type Json = Record<string, unknown>;

describe('embedded mode: the payment service on the in-process transport, PGlite and the in-process simulator', () => {
  let started: StartedPlatform;
  let token = '';
  before(async () => {
    const config = { ...loadConfig({}), httpPort: 0 };
    started = await startPlatform(config, { services: ['payment'], installSignals: false });
    token = await issueToken(started.authSecret, { subject: 'admin-1', role: 'admin' });
  });
  after(async () => { await started.stop(); });

  async function post(path: string, body: unknown): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${started.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() as Json };
  }

  test('ready, with the embedded kinds and a closed breaker', async () => {
    assert.equal(started.transportKind, 'in-process');
    assert.equal(started.databaseKind, 'pglite');
    const ready = await (await fetch(`${started.url}/health/ready`)).json() as Json;
    assert.equal(ready.status, 'ready');
    assert.deepEqual(ready.services, ['payment']);
    const components = ready.components as Record<string, Json>;
    assert.deepEqual(Object.fromEntries(Object.entries(components).map(([name, component]) => [name, component.status])), {
      transport: 'healthy', database: 'healthy', consumers: 'healthy', outbox: 'healthy', gateway: 'healthy',
    });
    assert.equal(components.gateway?.breaker, 'closed');
    const anonymous = await fetch(`${started.url}/payments/pay_x`);
    assert.equal(anonymous.status, 401, 'the API needs a bearer token');
  });

  test('success card completes, decline card fails, a refund refunds — same behaviour as on Kafka + PostgreSQL', async () => {
    const paid = await post('/payments', { orderId: 'emb-1', customerId: 'c', amount: { amount: 1_999, currency: 'EUR' } });
    assert.equal(paid.status, 201);
    assert.equal((await post(`/payments/${String(paid.body.id)}/confirm`, { paymentMethod: 'pm_card_visa' })).body.status, 'COMPLETED');
    const refund = await post(`/payments/${String(paid.body.id)}/refunds`, { reason: 'test' });
    assert.equal(refund.status, 201);
    assert.equal((refund.body.payment as Json).status, 'REFUNDED');

    const declined = await post('/payments', { orderId: 'emb-2', customerId: 'c', amount: { amount: 500, currency: 'JPY' } });
    const confirm = await post(`/payments/${String(declined.body.id)}/confirm`, { paymentMethod: 'pm_card_visa_chargeDeclined' });
    assert.equal(confirm.status, 402);
    assert.equal(((confirm.body.error as Json).details as Json & { payment: Json }).payment.status, 'FAILED');
  });

  test('the OpenAPI document lists the payment routes', async () => {
    const document = await (await fetch(`${started.url}/openapi.json`)).json() as { paths: Record<string, unknown> };
    for (const path of ['/payments', '/payments/{paymentId}', '/payments/{paymentId}/confirm', '/payments/{paymentId}/cancel', '/payments/{paymentId}/refunds', '/webhooks/stripe']) {
      assert.ok(path in document.paths, path);
    }
  });
});
