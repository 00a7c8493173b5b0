import type { PassThrough } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type HTTPMethods } from 'fastify';
import { errorBody } from './api-error.ts';
import { CHANGE_STREAM_PATH } from './change-stream-route.ts';
import { dashboardAssetRoutes } from './dashboard-assets.ts';
import { mergedChangeStream } from './front-door-stream.ts';

/** One process behind the front door: its name (the service it runs) and its base URL. */
export interface Upstream {
  name: string;
  url: string;
}

/** A route as a service registered it: method and Fastify path (`/orders/:id`), and who serves it. */
export interface FrontDoorRoute {
  method: HTTPMethods;
  path: string;
  upstreams: string[];
}

export interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  [key: string]: unknown;
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** `/orders/{id}` (OpenAPI) → `/orders/:id` (Fastify). */
function fastifyPath(openApiPath: string): string {
  return openApiPath.replace(/\{([^}]+)\}/g, ':$1');
}

/**
 * The route table, derived from what each service registered: every route of
 * its OpenAPI document (which @fastify/swagger builds from the routes
 * themselves), so a new route is routed without anyone editing a list. A
 * route several services register (the dead-letter routes each process has)
 * keeps all of them; the request then names its service.
 */
export function routeTable(documents: ReadonlyMap<string, OpenApiDocument>): FrontDoorRoute[] {
  const routes = new Map<string, FrontDoorRoute>();
  for (const [name, document] of documents) {
    for (const [path, operations] of Object.entries(document.paths ?? {})) {
      for (const method of Object.keys(operations).filter((candidate) => METHODS.has(candidate))) {
        const key = `${method} ${path}`;
        const route = routes.get(key) ?? { method: method.toUpperCase(), path: fastifyPath(path), upstreams: [] };
        route.upstreams.push(name);
        routes.set(key, route);
      }
    }
  }
  return [...routes.values()];
}

/** One OpenAPI document for the whole deployment: the services' paths and schemas side by side. */
function mergedDocument(documents: ReadonlyMap<string, OpenApiDocument>): OpenApiDocument {
  const [first] = documents.values();
  const merged: OpenApiDocument = { ...first, paths: {}, components: { ...first?.components, schemas: {} } };
  for (const document of documents.values()) {
    Object.assign(merged.paths ?? {}, document.paths);
    Object.assign(merged.components?.schemas ?? {}, document.components?.schemas);
  }
  return merged;
}

/** Which of several services a shared route's request is for: its `service` path parameter or `?service=`. */
function chosenService(request: FastifyRequest, candidates: readonly string[]): string | null {
  const fromParams = (request.params as Record<string, string | undefined>).service;
  const fromQuery = new URL(request.url, 'http://front-door').searchParams.get('service');
  const chosen = fromParams ?? fromQuery;
  return chosen !== null && candidates.includes(chosen) ? chosen : null;
}

export interface FrontDoorOptions {
  upstreams: readonly Upstream[];
  /** Each upstream's OpenAPI document (fetched by `fetchOpenApi` once it is up). */
  documents: ReadonlyMap<string, OpenApiDocument>;
}

/**
 * One entry port for a deployment whose services run as separate processes
 * (`paysaga up`): every public route of every service, proxied unchanged —
 * bodies are streamed, not parsed, so Stripe's webhook signature still
 * matches — plus a merged /openapi.json and a readiness that is ready only
 * when every service is.
 */
export async function createFrontDoor(options: FrontDoorOptions): Promise<{ server: FastifyInstance; routes: FrontDoorRoute[] }> {
  const urls = new Map(options.upstreams.map((upstream) => [upstream.name, upstream.url]));
  const server = Fastify({ logger: false });
  await server.register(replyFrom);
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', (_request, payload, done) => { done(null, payload); });

  const routes = routeTable(options.documents);
  // Open change streams end when the front door closes (a stream never ends by itself soon).
  const streams = new Set<PassThrough>();
  server.addHook('preClose', async () => { for (const stream of streams) stream.end(); });
  for (const route of routes) {
    if (route.path === CHANGE_STREAM_PATH && route.method === 'GET') {
      server.get(CHANGE_STREAM_PATH, (request, reply) => mergedChangeStream(request, reply, route.upstreams.map((upstream) => urls.get(upstream) ?? ''), streams));
      continue;
    }
    server.route({
      method: route.method, url: route.path,
      handler: (request, reply) => {
        const name = route.upstreams.length === 1 ? route.upstreams[0] : chosenService(request, route.upstreams);
        const base = name === undefined || name === null ? undefined : urls.get(name);
        if (base === undefined && route.method === 'GET' && chosenService(request, route.upstreams) === null && !('service' in (request.params as object))) {
          return fanOut(request, route.upstreams.map((upstream) => urls.get(upstream) ?? ''), reply);
        }
        if (base === undefined) {
          return reply.code(400).send(errorBody('service_required', `${route.method} ${route.path} is served by each service: name one of ${route.upstreams.join(', ')} (service=…)`));
        }
        return reply.from(`${base}${request.url}`, {
          onError: (failed, { error }) => {
            console.error(`front door: ${request.method} ${request.url}: ${name ?? ''} did not answer: ${error.message}`);
            void failed.code(503).header('retry-after', '1').send(upstreamUnavailable(name ?? ''));
          },
        });
      },
    });
  }

  // The dashboard's page comes from the front door itself; it reads the API through the routes above.
  await dashboardAssetRoutes(server);
  const document = mergedDocument(options.documents);
  server.get('/openapi.json', async () => document);
  server.get('/health/live', async () => ({ status: 'ok' }));
  server.get('/health/ready', async (_request, reply) => {
    const checks = Object.fromEntries(await Promise.all(options.upstreams.map(async (upstream) => {
      const response = await fetch(`${upstream.url}/health/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => null); // not logged: an upstream that does not answer is reported in this readiness answer
      return [upstream.name, response?.status === 200] as const;
    })));
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  server.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('route_not_found', `no route ${request.method} ${request.url}`)));
  return { server, routes };
}

/**
 * A service that does not answer (down, restarting, timed out) is the
 * deployment being briefly unavailable, not a bug in the request: 503 with
 * Retry-After, so a client (and the load driver) retries instead of seeing
 * reply-from's 500.
 */
function upstreamUnavailable(service: string): ReturnType<typeof errorBody> {
  return errorBody('service_unavailable', `${service} did not answer; retry shortly`);
}

/**
 * A shared GET that names no service (`GET /dead-letters`): asked of every
 * service, their answers merged — array properties concatenated — so the
 * front door answers as one process running them all would.
 */
async function fanOut(request: FastifyRequest, bases: readonly string[], reply: FastifyReply): Promise<FastifyReply> {
  const headers = request.headers.authorization === undefined ? {} : { authorization: request.headers.authorization };
  const answers = await Promise.all(bases.map(async (base) => {
    const response = await fetch(`${base}${request.url}`, { headers, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  })).catch((error: unknown) => {
    console.error(`front door: ${request.method} ${request.url}: a service did not answer: ${String(error)}`);
    return null;
  });
  if (answers === null) return reply.code(503).header('retry-after', '1').send(upstreamUnavailable('a service'));
  const failed = answers.find((answer) => answer.status !== 200);
  if (failed) return reply.code(failed.status).send(failed.body);
  const merged: Record<string, unknown> = {};
  for (const { body } of answers) {
    for (const [key, value] of Object.entries(body)) {
      const before = merged[key];
      merged[key] = Array.isArray(before) && Array.isArray(value) ? [...(before as unknown[]), ...(value as unknown[])] : value;
    }
  }
  return reply.send(merged);
}

/** An upstream's OpenAPI document, or null while it is not answering yet. */
export async function fetchOpenApi(upstream: Upstream): Promise<OpenApiDocument | null> {
  const response = await fetch(`${upstream.url}/openapi.json`, { signal: AbortSignal.timeout(5_000) }).catch(() => null); // not logged: null is the answer for an upstream still starting; the caller waits and asks again
  if (response?.status !== 200) return null;
  return await response.json() as OpenApiDocument;
}
