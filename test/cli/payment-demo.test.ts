import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { kafkaBrokers, postgresUrl } from '../support/env.ts';
import { freePort } from '../support/ports.ts';

test('the README payment script takes a payment from create to refund and prints its events from Kafka', async () => {
  const root = join(import.meta.dirname, '..', '..');
  const [port, gatewayPort] = [await freePort(), await freePort()];
  const child = spawn('bash', ['scripts/payment-demo.sh'], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), PORT: String(port), GATEWAY_PORT: String(gatewayPort), DATABASE_MAX_CONNECTIONS: '4' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, output);
  assert.match(output, /status COMPLETED/);
  assert.match(output, /status PARTIALLY_REFUNDED/);
  assert.match(output, /status REFUNDED/);
  const eventTypes = output.split('\n').filter((line) => line.startsWith('payment.') && !line.startsWith('payment.webhook')).map((line) => line.split(/\s+/)[1]);
  assert.deepEqual(eventTypes, [
    'PaymentInitiated', 'PaymentProcessing', 'PaymentCompleted',
    'PaymentRefundInitiated', 'PaymentRefunded', 'PaymentRefundInitiated', 'PaymentRefunded',
  ], output);
  assert.match(output, /payment\.webhook-received\s+PaymentWebhookReceived/);
});
