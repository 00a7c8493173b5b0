import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { HttpMetrics } from '../observability/http-metrics.ts';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import { ApiError, errorBody, Overloaded } from './api-error.ts';
import { hideClientSecrets } from './client-secret-visibility.ts';
import { findUnstorableText } from './storable-text.ts';

export interface HttpServerOptions {
  title: string;
  version?: string;
  /** Largest accepted body; card data is never sent, so bodies stay small. */
  bodyLimit?: number;
  /** Counts every response (before any route is added, so all of them are). */
  metrics?: HttpMetrics;
  /** Fastify's logger (request lines, 5xx errors with their stack); a child of the process's logger. */
  logger?: Logger;
  /** Opens a server span per request (@fastify/otel), continuing an incoming traceparent. Only when tracing is on. */
  traced?: boolean;
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route added to a server made by createHttpServer (HEAD twins of GET routes left out), in registration order. */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return registered.get(app) ?? [];
}

/** What a 5xx log line says about the request: never its headers or body (they may carry tokens or secrets). */
function requestContext(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method, url: request.url, route: request.routeOptions.url ?? null, requestId: request.id,
    principal: request.principal ? `${request.principal.role}:${request.principal.subject}` : null,
  };
}

/**
 * The database is away (restarting, failing over): ECONNREFUSED/ECONNRESET, 57P01 admin_shutdown, 57P02/57P03,
 * class 08 connection exceptions. The request is fine; it should be retried shortly — 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return /Connection terminated|connection (is )?closed/i.test(error instanceof Error ? error.message : '');
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03'].includes(code) || code.startsWith('08');
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/**
 * A Fastify server with paysaga's conventions: strict validation (no type
 * coercion, no silently dropped fields), the structured error body everywhere,
 * and the OpenAPI document built from the routes' schemas at /openapi.json.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = options.logger ?? fallbackLogger();
  const app = Fastify({
    loggerInstance,
    // One line per request, written below at a level that follows its outcome, instead of Fastify's two at info.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // A URL find-my-way cannot decode (`%E0%A4%A`) gets the structured 400 too.
    frameworkErrors: (error, _request, reply) => { void (reply as FastifyReply).code(400).send(errorBody(error.code.toLowerCase(), error.message)); },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  });
  if (options.traced) {
    // Loaded only when tracing is on.
    const { FastifyOtelInstrumentation } = await import('@fastify/otel');
    await app.register(new FastifyOtelInstrumentation().plugin());
  }
  options.metrics?.instrument(app);
  const routes: RegisteredRoute[] = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  // Text PostgreSQL cannot store is refused for every route at once, before any schema or handler sees it.
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [['headers', request.headers], ['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
      const problem = findUnstorableText(value, part);
      if (problem) throw new ApiError(400, 'invalid_request', `invalid ${part}: ${problem.path} ${problem.message}`, { issues: [problem] });
    }
  });
  // A PaymentIntent client secret reaches only the customer who pays (SPEC §6), whatever the route answers.
  app.addHook('preSerialization', async (request, _reply, payload) => hideClientSecrets(payload, request.principal));
  await app.register(swagger, {
    openapi: {
      info: { title: options.title, version: options.version ?? '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    // A 503 with Retry-After is a refusal by design (load shed, database away: the latter has its own warning), not a failure.
    const refused = status === 503 && reply.getHeader('retry-after') !== undefined;
    const level = refused ? 'debug' : status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
    request.log[level]({ method: request.method, route: request.routeOptions.url ?? null, url: request.url.split('?')[0], statusCode: status, durationMs: Math.round(reply.elapsedTime) }, 'request completed');
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: false } }, async () => app.swagger());

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof ApiError && error.statusCode < 500) return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
    // Shedding load is the server working as meant: counted by the HTTP metrics (status 503), not logged per request.
    if (error instanceof Overloaded) return reply.code(503).header('retry-after', String(error.retryAfterSeconds)).send(errorBody(error.code, error.message, error.details));
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error, request: requestContext(request) }, 'database unavailable: answered 503 with Retry-After');
      return reply.code(503).header('retry-after', '2').send(errorBody('service_unavailable', 'the database is unavailable for a moment; retry shortly (with the same Idempotency-Key)'));
    }
    if (isFastifyError(error) && error.validation) {
      const issues = error.validation.map((issue) => ({ path: `${error.validationContext ?? 'body'}${issue.instancePath}`, message: issue.message ?? 'invalid' }));
      return reply.code(400).send(errorBody('invalid_request', `invalid ${error.validationContext ?? 'request'}: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`, { issues }));
    }
    if (isFastifyError(error) && error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody(error.code.toLowerCase(), error.message));
    }
    request.log.error({ err: error, request: requestContext(request) }, `${request.method} ${request.routeOptions.url ?? request.url} failed: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof ApiError) return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
    return reply.code(500).send(errorBody('internal_error', 'the request could not be completed; it is safe to retry with the same Idempotency-Key'));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('route_not_found', `no route ${request.method} ${request.url}`)));
  return app;
}
