import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHttpServer } from '../../src/platform/http/http-server.ts';

test('a request that meets the database away gets 503 with Retry-After, not 500', async () => {
  const server = await createHttpServer({ title: 'test' });
  const failures: Record<string, () => Error> = {
    refused: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    'admin-shutdown': () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    'cannot-connect-now': () => Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    'connection-exception': () => Object.assign(new Error('connection failure'), { code: '08006' }),
    terminated: () => new Error('Connection terminated unexpectedly'),
  };
  for (const [name, failure] of Object.entries(failures)) server.get(`/${name}`, { config: {} }, () => Promise.reject(failure()));
  server.get('/bug', () => Promise.reject(new Error('a bug')));
  for (const name of Object.keys(failures)) {
    const response = await server.inject({ method: 'GET', url: `/${name}` });
    assert.equal(response.statusCode, 503, name);
    assert.equal(response.headers['retry-after'], '2', name);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'service_unavailable');
  }
  assert.equal((await server.inject({ method: 'GET', url: '/bug' })).statusCode, 500, 'anything else is still a 500');
  await server.close();
});
