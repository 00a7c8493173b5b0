import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ApiError, errorBody } from './api-error.ts';

export interface HttpServerOptions {
  title: string;
  version?: string;
  /** Largest accepted body; card data is never sent, so bodies stay small. */
  bodyLimit?: number;
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
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: options.title, version: options.version ?? '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: false } }, async () => app.swagger());

  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
    if (isDatabaseUnavailable(error)) {
      reply.log.warn(error);
      return reply.code(503).header('retry-after', '2').send(errorBody('service_unavailable', 'the database is unavailable for a moment; retry shortly (with the same Idempotency-Key)'));
    }
    if (isFastifyError(error) && error.validation) {
      const issues = error.validation.map((issue) => ({ path: `${error.validationContext ?? 'body'}${issue.instancePath}`, message: issue.message ?? 'invalid' }));
      return reply.code(400).send(errorBody('invalid_request', `invalid ${error.validationContext ?? 'request'}: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`, { issues }));
    }
    if (isFastifyError(error) && error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody(error.code.toLowerCase(), error.message));
    }
    reply.log.error(error);
    return reply.code(500).send(errorBody('internal_error', 'the request could not be completed; it is safe to retry with the same Idempotency-Key'));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('route_not_found', `no route ${request.method} ${request.url}`)));
  return app;
}
