import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addLogFields, withLogFields } from '../../../src/platform/observability/log-context.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { captureLogs } from '../../support/log-capture.ts';

describe('the platform logger', () => {
  test('redacts authorization headers, API keys, webhook and client secrets wherever they sit', () => {
    const logs = captureLogs('info');
    logs.logger.info({
      req: { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig', 'stripe-signature': 't=1,v1=abc', cookie: 'session=1' } },
      headers: { Authorization: 'Basic c2tfdGVzdA==' },
      apiKey: 'sk_test_top', config: { stripe: { apiKey: 'sk_test_nested', webhookSecret: 'whsec_nested' } },
      payment: { client_secret: 'pi_1_secret_2', clientSecret: 'pi_3_secret_4' }, authSecret: 'hs256-secret', password: 'hunter2',
    }, 'a line with secrets in it');
    const text = logs.text();
    for (const secret of ['eyJhbGciOiJIUzI1NiJ9', 't=1,v1=abc', 'session=1', 'Basic c2tfdGVzdA==', 'sk_test_top', 'sk_test_nested', 'whsec_nested', 'pi_1_secret_2', 'pi_3_secret_4', 'hs256-secret', 'hunter2']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.equal((logs.lines()[0]?.config as { stripe: { apiKey: string } }).stripe.apiKey, '[redacted]');
  });

  test('writes JSON lines with a level name, an ISO time, and the fields of the message being handled', async () => {
    const logs = captureLogs('debug');
    const child = logs.logger.child({ service: 'order', component: 'consumer' });
    await withLogFields({ eventId: 'e-1', topic: 'order.commands', consumerGroup: 'order' }, async () => {
      addLogFields({ correlationId: 'checkout-1' });
      await Promise.resolve();
      child.debug('handled');
    });
    child.info('outside');
    const [inside, outside] = logs.lines();
    assert.deepEqual({ level: inside?.level, service: inside?.service, eventId: inside?.eventId, correlationId: inside?.correlationId, consumerGroup: inside?.consumerGroup },
      { level: 'debug', service: 'order', eventId: 'e-1', correlationId: 'checkout-1', consumerGroup: 'order' });
    assert.match(String(inside?.time), /^\d{4}-\d\d-\d\dT/);
    assert.equal(outside?.eventId, undefined, 'the fields end with the message');
  });

  test('LOG_LEVEL sets the level, and a wrong one is refused at start', () => {
    assert.equal(loadConfig({}).logLevel, 'info');
    assert.equal(loadConfig({ LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of/);
    const logs = captureLogs('warn');
    logs.logger.info('hidden');
    logs.logger.warn('shown');
    assert.deepEqual(logs.lines().map((line) => line.msg), ['shown']);
  });

  test('tracing is off unless an exporter or an OTLP endpoint is named, and OTEL_SDK_DISABLED wins', () => {
    assert.equal(loadConfig({}).observability.tracing, false);
    assert.equal(loadConfig({ OTEL_TRACES_EXPORTER: 'none' }).observability.tracing, false);
    assert.equal(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).observability.tracing, true);
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).observability.tracing, true);
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }).observability.tracing, false);
  });
});
