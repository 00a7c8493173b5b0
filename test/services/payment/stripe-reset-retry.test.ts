import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startGatewaySimulator } from '../../../src/gateway/simulator/index.ts';
import { StripeCardGateway } from '../../../src/services/payment/gateway/stripe-card-gateway.ts';

/** A Stripe stand-in that resets the connection of every odd request and answers every even one with `intent`. */
async function resettingServer(intent: string): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    request.resume();
    if (requests % 2 === 1) { request.socket.destroy(); return; }
    response.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${requests}` }).end(intent);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('the SDK retries a reset connection once even with its retries off; resetRetryDelayMs sets its wait (the simulation: none)', async () => {
  // A real PaymentIntent body, from the simulator.
  const simulator = await startGatewaySimulator({ port: 0, webhookUrl: null });
  const created = await fetch(`${simulator.url}/v1/payment_intents`, { method: 'POST', headers: { authorization: 'Bearer sk_test_reset', 'content-type': 'application/x-www-form-urlencoded' }, body: 'amount=1200&currency=usd' });
  const intent = await created.text();
  await simulator.close();
  const { id } = JSON.parse(intent) as { id: string };
  const calls = 4;

  const run = async (resetRetryDelayMs: number | undefined): Promise<{ ms: number; requests: number }> => {
    const server = await resettingServer(intent);
    try {
      // One attempt per call: what is measured is the SDK's own retry, not the resilience policy's.
      const gateway = new StripeCardGateway({ apiKey: 'sk_test_reset', apiBase: server.url, resilience: { maxAttempts: 1, timeoutMs: 30_000 }, ...(resetRetryDelayMs === undefined ? {} : { resetRetryDelayMs }) });
      const started = performance.now();
      for (let call = 0; call < calls; call += 1) assert.equal((await gateway.retrieveIntent(id, {})).id, id);
      return { ms: performance.now() - started, requests: server.requests() };
    } finally {
      await server.close();
    }
  };

  const sdkDefault = await run(undefined);
  assert.equal(sdkDefault.requests, 2 * calls, 'each call was reset once and retried once by the SDK');
  assert.ok(sdkDefault.ms >= calls * 500, `the SDK waits at least 0.5 s before each retry (took ${Math.round(sdkDefault.ms)} ms)`);
  const noWait = await run(0);
  assert.equal(noWait.requests, 2 * calls, 'the retry still happens');
  assert.ok(noWait.ms < calls * 500 - 500, `with resetRetryDelayMs 0 it does not wait (took ${Math.round(noWait.ms)} ms)`);
});
