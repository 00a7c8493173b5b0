import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidFaultError, parseFaultsPatch } from './faults.ts';
import { parseFormParams } from './form-params.ts';
import { isHttpUrl } from './http-url.ts';
import { BodyTooLargeError, isJsonContentType, jsonText, readBody, send } from './http-io.ts';
import type { OperationContext } from './operation-context.ts';
import { completeAuthentication, type AuthenticationOutcome } from './payment-intents.ts';
import { invalidRequest, StripeApiError } from './stripe-error.ts';
import type { GatewayFaults, GatewaySimulatorStats } from './types.ts';

export interface ControlDeps {
  faults(): GatewayFaults;
  setFaults(patch: Partial<GatewayFaults>): void;
  stats(): GatewaySimulatorStats;
  webhookEndpoint(): { url: string | null };
  setWebhookEndpoint(url: string | null, secret?: string): void;
  /** Context for operations no API request caused (their events have request.id null). */
  context(): OperationContext;
  /** The stats in the Prometheus text format, with its content type. */
  metrics(): Promise<{ contentType: string; text: string }>;
}

class ControlInputError extends Error {
  override name = 'ControlInputError';
  readonly param: string | undefined;

  constructor(message: string, param?: string) {
    super(message);
    this.param = param;
  }
}

/** A JSON body (control endpoints), or form parameters and the query string (the 3DS page). */
async function bodyOf(request: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const query: Record<string, unknown> = { ...parseFormParams(url.search.slice(1)) };
  if (request.method !== 'POST') return query;
  let text: string;
  try {
    text = await readBody(request);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new ControlInputError(error.message);
    throw error;
  }
  if (text.trim() === '') return query;
  if (!isJsonContentType(request)) return { ...query, ...parseFormParams(text) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ControlInputError('the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ControlInputError('the body must be a JSON object');
  return { ...query, ...(parsed as Record<string, unknown>) };
}

function webhookEndpointPatch(body: Record<string, unknown>): { url: string | null; secret: string | undefined } {
  const unknown = Object.keys(body).find((name) => name !== 'url' && name !== 'secret');
  if (unknown !== undefined) throw new ControlInputError(`unknown field: ${unknown}`, unknown);
  const { url, secret } = body;
  if (url !== null && !isHttpUrl(url)) throw new ControlInputError('url must be an http(s) URL or null', 'url');
  if (secret !== undefined && (typeof secret !== 'string' || secret === '')) throw new ControlInputError('secret must be a non-empty string (whsec_…)', 'secret');
  return { url, secret };
}

function outcomeOf(body: Record<string, unknown>): AuthenticationOutcome {
  const outcome = body.outcome ?? 'succeed';
  if (outcome !== 'succeed' && outcome !== 'fail') throw invalidRequest('Invalid outcome: must be one of succeed or fail', { param: 'outcome' });
  return outcome;
}

function authenticate(deps: ControlDeps, id: string, body: Record<string, unknown>, method: string, response: ServerResponse, headers: Record<string, string>): void {
  const ctx = deps.context();
  const intent = completeAuthentication(ctx, id, outcomeOf(body));
  const returnUrl = ctx.state.intent(id).returnUrl;
  if (method === 'GET' && isHttpUrl(returnUrl)) {
    // A browser finishing the 3DS page goes back to the merchant, as Stripe's redirect does.
    const target = new URL(returnUrl);
    target.searchParams.set('payment_intent', intent.id);
    target.searchParams.set('payment_intent_client_secret', intent.client_secret);
    target.searchParams.set('redirect_status', intent.status === 'requires_payment_method' ? 'failed' : 'succeeded');
    response.writeHead(302, { Location: target.toString(), ...headers });
    response.end();
    return;
  }
  send(response, 200, jsonText(intent), headers);
}

function receipt(deps: ControlDeps, id: string, response: ServerResponse, headers: Record<string, string>): void {
  const charge = deps.context().state.charge(id);
  const html = `<!doctype html><meta charset="utf-8"><title>Receipt ${charge.id}</title>`
    + `<h1>Receipt</h1><p>Charge ${charge.id} — ${charge.amount_captured} ${charge.currency} (minor units), refunded ${charge.amount_refunded}.</p>`
    + '<p>Issued by the paysaga gateway simulator; no money moved.</p>';
  send(response, 200, html, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
}

/**
 * The simulator's own endpoints (no API key: a loopback development tool):
 * stats, fault knobs, the webhook endpoint, the 3DS page and receipts.
 * Returns false when the path is not one of them.
 */
export async function handleControlRequest(deps: ControlDeps, request: IncomingMessage, response: ServerResponse, url: URL, requestId: string): Promise<boolean> {
  const method = request.method ?? 'GET';
  const path = url.pathname.replace(/\/$/, '');
  const headers = { 'Request-Id': requestId };
  const authenticateMatch = /^\/_simulator\/authenticate\/([^/]+)$/.exec(path);
  const receiptMatch = /^\/receipts\/([^/]+)$/.exec(path);
  try {
    if (method === 'GET' && path === '/_simulator/stats') {
      send(response, 200, jsonText(deps.stats()), headers);
    } else if (method === 'GET' && path === '/metrics') {
      const { contentType, text } = await deps.metrics();
      send(response, 200, text, { ...headers, 'Content-Type': contentType });
    } else if (method === 'GET' && path === '/_simulator/faults') {
      send(response, 200, jsonText(deps.faults()), headers);
    } else if (method === 'POST' && path === '/_simulator/faults') {
      deps.setFaults(parseFaultsPatch(await bodyOf(request, url)));
      send(response, 200, jsonText(deps.faults()), headers);
    } else if (method === 'GET' && path === '/_simulator/webhook-endpoint') {
      send(response, 200, jsonText(deps.webhookEndpoint()), headers);
    } else if (method === 'POST' && path === '/_simulator/webhook-endpoint') {
      const patch = webhookEndpointPatch(await bodyOf(request, url));
      deps.setWebhookEndpoint(patch.url, patch.secret);
      send(response, 200, jsonText(deps.webhookEndpoint()), headers);
    } else if ((method === 'POST' || method === 'GET') && authenticateMatch !== null) {
      authenticate(deps, decodeURIComponent(authenticateMatch[1] ?? ''), await bodyOf(request, url), method, response, headers);
    } else if (method === 'GET' && receiptMatch !== null) {
      receipt(deps, decodeURIComponent(receiptMatch[1] ?? ''), response, headers);
    } else {
      return false;
    }
  } catch (error) {
    if (error instanceof StripeApiError) {
      send(response, error.status, jsonText({ error: error.error }), headers);
    } else if (error instanceof ControlInputError || error instanceof InvalidFaultError) {
      const param = error.param;
      send(response, 400, jsonText({ error: { type: 'invalid_request_error', message: error.message, ...(param === undefined ? {} : { param }) } }), headers);
    } else {
      throw error;
    }
  }
  return true;
}
