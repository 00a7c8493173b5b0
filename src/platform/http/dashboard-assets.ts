import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './api-error.ts';

/** Where `npm run build` (run by `npm ci` through `prepare`) writes the dashboard. Never committed. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

/**
 * The dashboard's page and assets under /dashboard, for anyone: the page holds
 * no data — it signs in with an admin's bearer token and reads the API. Paths
 * without a file extension get index.html (the page's own routes). Hidden from
 * the OpenAPI document, so the front door serves its own copy instead of proxying.
 */
export async function dashboardAssetRoutes(http: FastifyInstance, root: string = DASHBOARD_DIST): Promise<void> {
  const built = existsSync(join(root, 'index.html'));
  if (built) await http.register(fastifyStatic, { root, serve: false });
  const config = { auth: false };
  const schema = { hide: true };
  http.get('/dashboard', { config, schema }, async (_request, reply) => reply.redirect('/dashboard/'));
  http.get('/dashboard/*', { config, schema }, async (request, reply) => {
    if (!built) return reply.code(404).send(errorBody('dashboard_not_built', 'the dashboard is not built here: run `npm run build` (npm ci does)'));
    const path = (request.params as { '*'?: string })['*'] ?? '';
    if (path.split(/[\\/]/).includes('..')) return reply.code(404).send(errorBody('not_found', 'no such dashboard path'));
    const asset = path !== '' && extname(path) !== '';
    // Assets are content-hashed by Vite: cached for good; the page itself always revalidates.
    if (asset && existsSync(join(root, path))) return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(path);
    if (asset) return reply.code(404).send(errorBody('not_found', `no dashboard asset ${path}`));
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
