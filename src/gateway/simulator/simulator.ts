import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApiRequest, type ApiPipeline } from './api-pipeline.ts';
import type { ApiContext, ApiRoute } from './api-route.ts';
import { handleControlRequest, type ControlDeps } from './control-routes.ts';
import { eventRoutes } from './event-routes.ts';
import { EventLog } from './event-log.ts';
import { DEFAULT_FAULTS, parseFaultsPatch } from './faults.ts';
import { HeldResponses } from './held-responses.ts';
import { jsonText, send } from './http-io.ts';
import { isHttpUrl } from './http-url.ts';
import { IdempotencyStore } from './idempotency-store.ts';
import { newId } from './ids.ts';
import { paymentIntentRoutes } from './payment-intent-routes.ts';
import { refundAndChargeRoutes } from './refund-routes.ts';
import { Router } from './router.ts';
import { simulatorMetrics } from './simulator-metrics.ts';
import { SimulatorState } from './simulator-state.ts';
import { apiError } from './stripe-error.ts';
import type { EventRequestInfo } from './stripe-objects.ts';
import type { GatewayFaults, GatewaySimulator, GatewaySimulatorOptions, GatewaySimulatorStats, WebhookRetryPolicy } from './types.ts';
import { WebhookDispatcher, type WebhookTarget } from './webhook-dispatcher.ts';
import { DEFAULT_PORT, DEFAULT_WEBHOOK_SECRET } from './defaults.ts';

/** The API version events and responses carry: the one stripe@23 pins. */
export const SIMULATED_API_VERSION = '2026-10-28.endive';
function orderKeyOf(object: { id: string }): string {
  const intent = (object as { payment_intent?: unknown }).payment_intent;
  return typeof intent === 'string' ? intent : object.id;
}

export const DEFAULT_WEBHOOK_RETRY: Readonly<WebhookRetryPolicy> = Object.freeze({ attempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 });
export { DEFAULT_PORT, DEFAULT_WEBHOOK_SECRET };

const ROUTES: readonly ApiRoute[] = [...paymentIntentRoutes, ...refundAndChargeRoutes, ...eventRoutes];

function checkWebhookUrl(url: string | null): string | null {
  if (url === null) return null;
  if (!isHttpUrl(url)) throw new RangeError(`webhook URL must be an http(s) URL, got ${JSON.stringify(url)}`);
  return url;
}

function checkRetry(retry: WebhookRetryPolicy): WebhookRetryPolicy {
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) throw new RangeError('webhookRetry.attempts must be an integer ≥ 1');
  if (!(retry.baseDelayMs >= 0) || !(retry.maxDelayMs >= 0)) throw new RangeError('webhookRetry delays must be ≥ 0 ms');
  return { ...retry };
}

function emptyStats(): GatewaySimulatorStats {
  return {
    requests: 0,
    intentsCreated: 0,
    refundsCreated: 0,
    eventsCreated: 0,
    webhookAttempts: 0,
    webhooksDelivered: 0,
    webhooksFailed: 0,
    webhooksPendingDelivery: 0,
    faultsInjected: { errors: 0, timeouts: 0, duplicates: 0, dropped: 0 },
  };
}

/** Starts a stateful, in-memory, Stripe-compatible API on host:port that the official SDK can be pointed at. */
export async function startGatewaySimulator(options: GatewaySimulatorOptions = {}): Promise<GatewaySimulator> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65_535) throw new RangeError(`port must be an integer in [0, 65535], got ${requestedPort}`);
  const random = options.random ?? Math.random;
  const retry = checkRetry(options.webhookRetry ?? DEFAULT_WEBHOOK_RETRY);
  let faults: GatewayFaults = { ...DEFAULT_FAULTS, ...parseFaultsPatch(options.faults ?? {}) };
  let webhookSecret = options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET;
  let webhookUrl = checkWebhookUrl(options.webhookUrl ?? null);

  const state = new SimulatorState();
  const events = new EventLog(SIMULATED_API_VERSION);
  const stats = emptyStats();
  const closing = new AbortController();
  const holds = new HeldResponses();
  const dispatcher = new WebhookDispatcher({
    retry,
    faults: () => faults,
    random,
    stats,
    payloadOf: (eventId) => {
      const event = events.get(eventId);
      return event === undefined ? undefined : JSON.stringify(event, null, 2);
    },
    onDelivered: (eventId) => events.markDelivered(eventId),
  });
  let baseUrl = '';

  const contextFor = (request: EventRequestInfo): ApiContext => ({
    state,
    events,
    stats,
    baseUrl,
    emit(type, object) {
      // An event is addressed to the endpoint configured when it happens.
      const target: WebhookTarget | null = webhookUrl === null ? null : { url: webhookUrl, secret: webhookSecret };
      const sink = options.webhookSink;
      const event = events.record(type, object, request, target === null && !sink ? 0 : 1);
      stats.eventsCreated++;
      if (sink) sink({ id: event.id, type, payload: JSON.stringify(event, null, 2) });
      // A payment intent's events (its charges and refunds name it) arrive in order; other objects' side by side.
      else if (target !== null) dispatcher.enqueue(event.id, target, orderKeyOf(object));
    },
  });

  const setFaults = (patch: Partial<GatewayFaults>): void => {
    faults = { ...faults, ...parseFaultsPatch(patch) };
  };
  const setWebhookEndpoint = (url: string | null, secret?: string): void => {
    webhookUrl = checkWebhookUrl(url);
    if (secret !== undefined) webhookSecret = secret;
  };
  const currentStats = (): GatewaySimulatorStats => ({
    ...stats,
    webhooksPendingDelivery: dispatcher.pendingCount,
    faultsInjected: { ...stats.faultsInjected },
  });

  const pipeline: ApiPipeline = {
    router: new Router(ROUTES),
    idempotency: new IdempotencyStore(),
    stats,
    holds,
    closing: closing.signal,
    apiVersion: SIMULATED_API_VERSION,
    faults: () => faults,
    random,
    context: contextFor,
  };
  const metricsRegistry = simulatorMetrics(currentStats);
  const control: ControlDeps = {
    metrics: async () => ({ contentType: metricsRegistry.contentType, text: await metricsRegistry.metrics() }),
    faults: () => ({ ...faults }),
    setFaults,
    stats: currentStats,
    webhookEndpoint: () => ({ url: webhookUrl }),
    setWebhookEndpoint,
    context: () => contextFor({ id: null, idempotency_key: null }),
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newId('req');
    try {
      const url = new URL(request.url ?? '/', 'http://simulator.invalid');
      if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) return await handleApiRequest(pipeline, request, response, url, requestId);
      if (await handleControlRequest(control, request, response, url, requestId)) return;
      send(response, 404, jsonText({ error: { type: 'invalid_request_error', message: `Unrecognized request URL (${request.method ?? 'GET'}: ${url.pathname}).` } }), { 'Request-Id': requestId });
    } catch (error) {
      send(response, 500, jsonText({ error: apiError(`Internal simulator error: ${error instanceof Error ? error.message : String(error)}`).error }), { 'Request-Id': requestId });
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closed: Promise<void> | null = null;
  return {
    url: baseUrl,
    host,
    port,
    setFaults,
    faults: () => ({ ...faults }),
    setWebhookEndpoint,
    stats: currentStats,
    webhooksSettled: () => dispatcher.settled(),
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        dispatcher.close();
        holds.releaseAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
