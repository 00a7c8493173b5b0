import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { issueToken, useBearerAuth } from '../../../src/platform/http/auth.ts';
import { createHttpServer } from '../../../src/platform/http/http-server.ts';
import { createLogger } from '../../../src/platform/observability/logger.ts';

const NEW = 'paysaga-rotation-test-new-secret-0123456789';
const OLD = 'paysaga-rotation-test-old-secret-0123456789';
const OTHER = 'paysaga-rotation-test-someone-else-0123456789';

let rotating: FastifyInstance;
let plain: FastifyInstance;

async function server(previousSecret: string | null): Promise<FastifyInstance> {
  const app = await createHttpServer({ title: 'rotation', logger: createLogger({ level: 'silent' }) });
  useBearerAuth(app, { secret: NEW, previousSecret });
  app.get('/me', async (request) => ({ subject: request.principal?.subject ?? null }));
  return app;
}

before(async () => {
  rotating = await server(OLD);
  plain = await server(null);
});
after(async () => {
  await rotating.close();
  await plain.close();
});

const status = async (app: FastifyInstance, secret: string): Promise<number> =>
  (await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${await issueToken(secret, { subject: 'ops', role: 'admin' })}` } })).statusCode;

test('during a rotation (AUTH_SECRET_PREVIOUS) tokens of the new and of the previous secret are accepted, others refused', async () => {
  assert.equal(await status(rotating, NEW), 200);
  assert.equal(await status(rotating, OLD), 200);
  assert.equal(await status(rotating, OTHER), 401);
});

test('without a previous secret only the current one verifies', async () => {
  assert.equal(await status(plain, NEW), 200);
  assert.equal(await status(plain, OLD), 401);
});
