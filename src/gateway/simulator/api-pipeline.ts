import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiContext, ApiResult, ApiRoute } from './api-route.ts';
import { roll } from './faults.ts';
import { canonicalParams, parseFormParams, type ParamObject } from './form-params.ts';
import type { HeldResponses } from './held-responses.ts';
import { BodyTooLargeError, isJsonContentType, jsonText, pause, readBody, send } from './http-io.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import type { Router } from './router.ts';
import { apiError, invalidRequest, StripeApiError } from './stripe-error.ts';
import type { EventRequestInfo } from './stripe-objects.ts';
import type { GatewayFaults, GatewaySimulatorStats } from './types.ts';

export interface ApiPipeline {
  readonly router: Router<ApiRoute>;
  readonly idempotency: IdempotencyStore;
  readonly stats: GatewaySimulatorStats;
  readonly holds: HeldResponses;
  /** Aborts when the simulator closes: pending latency ends and nothing more executes. */
  readonly closing: AbortSignal;
  readonly apiVersion: string;
  readonly faults: () => GatewayFaults;
  readonly random: () => number;
  /** The context one request's operations run in; its events carry this request's id and idempotency key. */
  readonly context: (request: EventRequestInfo) => ApiContext;
}

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

function unauthorized(message: string): StripeApiError {
  return new StripeApiError(401, { type: 'invalid_request_error', message });
}

function redact(key: string): string {
  return key.length <= 12 ? key.replace(/.(?=.{4})/g, '*') : `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/** The secret key from `Authorization: Bearer sk_test_…` (or HTTP Basic with the key as user name, as curl -u sends it). */
function apiKeyOf(request: IncomingMessage): string {
  const header = request.headers.authorization ?? '';
  const [scheme = '', credentials = ''] = header.trim().split(/\s+/, 2);
  let key = '';
  if (scheme.toLowerCase() === 'bearer') key = credentials;
  else if (scheme.toLowerCase() === 'basic') key = Buffer.from(credentials, 'base64').toString('utf8').split(':')[0] ?? '';
  if (key === '') {
    throw unauthorized("You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').");
  }
  if (!/^sk_test_\w+$/.test(key)) throw unauthorized(`Invalid API Key provided: ${redact(key)} (the simulator accepts test-mode secret keys, sk_test_…)`);
  return key;
}

async function paramsOf(request: IncomingMessage, url: URL): Promise<ParamObject> {
  const query = url.search.length > 1 ? url.search.slice(1) : '';
  if (request.method !== 'POST') return parseFormParams(query);
  if (isJsonContentType(request)) throw invalidRequest('Invalid request: the API takes application/x-www-form-urlencoded bodies, not JSON.');
  let body: string;
  try {
    body = await readBody(request);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw invalidRequest(`Invalid request: ${error.message}`);
    throw error;
  }
  return parseFormParams(query === '' ? body : `${query}&${body}`);
}

function errorResult(error: unknown): ApiResult {
  if (error instanceof StripeApiError) return { status: error.status, body: { error: error.error } };
  return { status: 500, body: { error: apiError(`Internal simulator error: ${error instanceof Error ? error.message : String(error)}`).error } };
}

function execute(run: (ctx: ApiContext) => ApiResult, ctx: ApiContext): ApiResult {
  try {
    return run(ctx);
  } catch (error) {
    return errorResult(error);
  }
}

/**
 * One `/v1` request, in Stripe's order: authenticate, parse, route, fault
 * injection, idempotency claim (synchronous, before any await), latency (while
 * the key is held), validate, execute, store the answer, respond (or hold it).
 */
export async function handleApiRequest(pipeline: ApiPipeline, request: IncomingMessage, response: ServerResponse, url: URL, requestId: string): Promise<void> {
  pipeline.stats.requests++;
  const faults = pipeline.faults();
  const headers: Record<string, string> = { 'Request-Id': requestId, 'Stripe-Version': pipeline.apiVersion };
  let latencyDone = false;
  const latency = async (): Promise<void> => {
    if (latencyDone) return;
    latencyDone = true;
    const jitter = faults.latencyJitterMs > 0 ? Math.floor(pipeline.random() * (faults.latencyJitterMs + 1)) : 0;
    await pause(faults.latencyMs + jitter, pipeline.closing);
  };
  let hold = false;
  const answer = async (result: ApiResult, body = jsonText(result.body), extra: Record<string, string> = {}): Promise<void> => {
    await latency();
    if (pipeline.closing.aborted) return void response.destroy();
    if (hold) return pipeline.holds.hold(response, faults.timeoutHoldMs);
    send(response, result.status, body, { ...headers, ...extra });
  };

  let apiKey: string;
  let params: ParamObject;
  try {
    apiKey = apiKeyOf(request);
    params = await paramsOf(request, url);
  } catch (error) {
    return answer(errorResult(error));
  }
  const method = request.method ?? 'GET';
  const matched = pipeline.router.match(method, url.pathname);
  if (matched === undefined) {
    return answer(errorResult(invalidRequest(`Unrecognized request URL (${method}: ${url.pathname}). The paysaga gateway simulator serves payment intents, refunds, charges and events.`, { status: 404 })));
  }
  if (roll(faults.errorRate, pipeline.random)) {
    pipeline.stats.faultsInjected.errors++;
    return answer(errorResult(apiError()));
  }
  hold = roll(faults.timeoutRate, pipeline.random);
  if (hold) pipeline.stats.faultsInjected.timeouts++;

  const key = method === 'POST' ? request.headers['idempotency-key'] : undefined;
  const idempotencyKey = typeof key === 'string' && key !== '' ? key : null;
  if (idempotencyKey !== null) {
    headers['Idempotency-Key'] = idempotencyKey;
    if (idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return answer(errorResult(invalidRequest(`Idempotency keys can be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long.`, { type: 'idempotency_error' })));
    }
    const endpoint = `${method} ${url.pathname}`;
    const claim = pipeline.idempotency.claim(apiKey, idempotencyKey, endpoint, canonicalParams(params));
    switch (claim.kind) {
      case 'mismatch':
        return answer(errorResult(invalidRequest(
          claim.endpoint === endpoint
            ? `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`
            : `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${claim.endpoint}' vs '${endpoint}'). Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          { type: 'idempotency_error' },
        )));
      case 'in-use':
        return answer(errorResult(invalidRequest(
          'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): '
          + `${idempotencyKey}. Please try again later.`,
          { type: 'idempotency_error', code: 'idempotency_key_in_use', status: 409 },
        )));
      case 'replay':
        return answer({ status: claim.response.status, body: null }, claim.response.body, {
          'Idempotent-Replayed': 'true',
          'Original-Request': claim.response.requestId,
        });
      case 'claimed':
        break;
    }
  }

  await latency();
  if (pipeline.closing.aborted) return void response.destroy();
  let run: (ctx: ApiContext) => ApiResult;
  try {
    run = matched.route.prepare(params, matched.pathParams);
  } catch (error) {
    // Validation failed before execution: nothing is stored, a corrected retry with this key runs.
    if (idempotencyKey !== null) pipeline.idempotency.release(apiKey, idempotencyKey);
    return answer(errorResult(error));
  }
  const result = execute(run, pipeline.context({ id: requestId, idempotency_key: idempotencyKey }));
  const body = jsonText(result.body);
  if (idempotencyKey !== null) pipeline.idempotency.complete(apiKey, idempotencyKey, { status: result.status, body, requestId });
  return answer(result, body);
}
