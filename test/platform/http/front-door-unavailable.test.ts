import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createFrontDoor, type OpenApiDocument } from '../../../src/platform/http/front-door.ts';

/** A loopback port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a service that does not answer is 503 with Retry-After at the front door, for every kind of route (never a 5xx of its own)', async () => {
  const port = await closedPort();
  const document = (paths: OpenApiDocument['paths']): OpenApiDocument => ({ openapi: '3.0.0', paths });
  const documents = new Map<string, OpenApiDocument>([
    ['order', document({ '/orders/{orderId}': { get: {} }, '/orders/{orderId}/cancel': { post: {} }, '/dead-letters': { get: {} } })],
    ['payment', document({ '/dead-letters': { get: {} } })],
  ]);
  const upstreams = [{ name: 'order', url: `http://127.0.0.1:${port}` }, { name: 'payment', url: `http://127.0.0.1:${port}` }];
  const { server } = await createFrontDoor({ upstreams, documents });
  try {
    // Over real HTTP: a proxied body is a stream, which inject() does not model the way a socket does.
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    for (const [method, url] of [['GET', '/orders/o-1'], ['POST', '/orders/o-1/cancel'], ['GET', '/dead-letters']] as const) {
      const response = await fetch(`${address}${url}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      const body = await response.text();
      assert.equal(response.status, 503, `${method} ${url}: ${body}`);
      assert.equal(response.headers.get('retry-after'), '1', `${method} ${url}`);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'service_unavailable', `${method} ${url}`);
    }
  } finally {
    await server.close();
  }
});
