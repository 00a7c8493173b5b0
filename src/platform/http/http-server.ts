import { FastifyOtelInstrumentation } from '@fastify/otel';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import { ApiError, errorBody } from './api-error.ts';

export interface HttpServerOptions {
  title: string;
  version?: string;
  /** Largest accepted body; card data is never sent, so bodies stay small. */
  bodyLimit?: number;
  /** Fastify's logger (request lines, 5xx errors); a child of the process's logger. */
  logger?: Logger;
  /** Opens a server span per request (@fastify/otel), continuing an incoming traceparent. Only when tracing is on. */
  traced?: boolean;
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
    disableRequestLogging: true,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  });
  if (options.traced) await app.register(new FastifyOtelInstrumentation().plugin());
  await app.register(swagger, {
    openapi: {
      info: { title: options.title, version: options.version ?? '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
    request.log[level]({ method: request.method, route: request.routeOptions.url ?? null, url: request.url.split('?')[0], statusCode: status, durationMs: Math.round(reply.elapsedTime) }, 'request completed');
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: false } }, async () => app.swagger());

  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
    if (isFastifyError(error) && error.validation) {
      const issues = error.validation.map((issue) => ({ path: `${error.validationContext ?? 'body'}${issue.instancePath}`, message: issue.message ?? 'invalid' }));
      return reply.code(400).send(errorBody('invalid_request', `invalid ${error.validationContext ?? 'request'}: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`, { issues }));
    }
    if (isFastifyError(error) && error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody(error.code.toLowerCase(), error.message));
    }
    reply.log.error({ err: error }, 'request failed with an unexpected error');
    return reply.code(500).send(errorBody('internal_error', 'the request could not be completed; it is safe to retry with the same Idempotency-Key'));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('route_not_found', `no route ${request.method} ${request.url}`)));
  return app;
}
