import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { decodeEnvelope } from '../../../src/contracts/codec.ts';
import type { Envelope } from '../../../src/contracts/envelope.ts';
import { startGatewaySimulator, type GatewaySimulator } from '../../../src/gateway/simulator/index.ts';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { issueToken, useBearerAuth } from '../../../src/platform/http/auth.ts';
import { createHttpServer } from '../../../src/platform/http/http-server.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { paysagaTopicSpecs } from '../../../src/platform/messaging/topic-specs.ts';
import type { Subscription, Transport } from '../../../src/platform/messaging/transport.ts';
import { createPaymentService, type PaymentService } from '../../../src/services/payment/payment-service.ts';
import { sql } from 'kysely';
import Stripe from 'stripe';
import { isolatedKafkaTransport, postgresUrl, uniqueName } from '../../support/env.ts';
import { closeTap, openScoped, type OpenScope } from '../../support/open-scope.ts';

export const WEBHOOK_SECRET = 'whsec_paysaga_test_secret';
export const AUTH_SECRET = 'paysaga-test-auth-secret-0123456789abcdef';
export const PAYMENT_TOPICS = [
  'payment.initiated', 'payment.processing', 'payment.completed', 'payment.failed', 'payment.cancelled',
  'payment.refund-initiated', 'payment.refunded', 'payment.webhook-received',
];

export interface PaymentHarness {
  simulator: GatewaySimulator;
  service: PaymentService;
  database: Database;
  transport: Transport;
  schema: string;
  baseUrl: string;
  http: FastifyInstance;
  /** Every payment event seen on the transport since start. */
  events: Envelope[];
  eventsOf(orderId: string): Envelope[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; text: string }>;
  get(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
  count(table: 'payments' | 'refunds' | 'webhook_receipts' | 'gateway_errors', where?: { column: string; value: string }): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  stack?: 'kafka+postgres' | 'in-process+pglite';
  resilience?: { timeoutMs?: number; maxAttempts?: number; breakerThreshold?: number; halfOpenAfterMs?: number };
}

/** The payment service on a real broker and PostgreSQL (or the embedded pair), with a gateway simulator delivering webhooks to it. */
export function openPaymentHarness(options: HarnessOptions = {}): Promise<PaymentHarness> {
  return openScoped((scope) => openIn(scope, options));
}

async function openIn(scope: OpenScope, options: HarnessOptions): Promise<PaymentHarness> {
  const embedded = options.stack === 'in-process+pglite';
  const transport: Transport = scope.track(embedded
    ? new InProcessTransport()
    : await isolatedKafkaTransport('paytest'), (opened) => opened.close());
  await transport.ensureTopics(paysagaTopicSpecs({ partitions: 3, replicationFactor: 1, minInsyncReplicas: null }));
  const database = scope.track(await openDatabase({ url: embedded ? 'pglite://memory' : postgresUrl() }), (opened) => opened.close());
  const schema = uniqueName('pay');
  const simulator = scope.track(await startGatewaySimulator({ port: 0, webhookUrl: null, webhookSecret: WEBHOOK_SECRET, webhookRetry: { attempts: 6, baseDelayMs: 50, maxDelayMs: 500 } }), (opened) => opened.close());
  const service = await createPaymentService({
    db: database.db, transport, schema, groupId: uniqueName('payment'),
    stripe: {
      apiKey: 'sk_test_paysaga', apiBase: simulator.url,
      resilience: { timeoutMs: 1_500, maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100, breakerThreshold: 5, halfOpenAfterMs: 400, ...options.resilience },
    },
    webhookSecret: WEBHOOK_SECRET,
    reconciler: { staleAfterMs: 300, intervalMs: 3_600_000 },
    relayPollIntervalMs: 50,
    retry: { inPlaceAttempts: 2, inPlaceDelayMs: 10, delayedAttempts: 1, initialDelayMs: 100, maxDelayMs: 200 },
  });
  const http = scope.track(await createHttpServer({ title: 'paysaga payment (test)' }), (opened) => opened.close());
  useBearerAuth(http, { secret: AUTH_SECRET });
  await service.routes(http);
  const adminToken = await issueToken(AUTH_SECRET, { subject: 'ops-1', role: 'admin' });
  const baseUrl = await http.listen({ port: 0, host: '127.0.0.1' });
  simulator.setWebhookEndpoint(`${baseUrl}/webhooks/stripe`, WEBHOOK_SECRET);
  await service.start();
  scope.track(service, (started) => started.stop());

  const events: Envelope[] = [];
  const tap: Subscription = scope.track(await transport.subscribe({
    groupId: uniqueName('paytap'), topics: PAYMENT_TOPICS,
    handler: async (record) => {
      const decoded = decodeEnvelope(record.value);
      if (decoded.ok) events.push(decoded.envelope);
    },
  }), closeTap);

  async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; text: string }> {
    const withAuth = { authorization: `Bearer ${adminToken}`, ...headers };
    const response = await fetch(`${baseUrl}${path}`, {
      method, headers: body === undefined ? withAuth : { 'content-type': 'application/json', ...withAuth },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) as Record<string, unknown> : {}, headers: response.headers, text };
  }

  return {
    simulator, service, database, transport, schema, baseUrl, http, events,
    eventsOf: (orderId) => events.filter((event) => event.key === orderId),
    post: (path, body, headers) => request('POST', path, body, headers),
    get: (path) => request('GET', path),
    async count(table, where) {
      const filter = where ? sql` where ${sql.ref(where.column)} = ${where.value}` : sql``;
      const result = await sql<{ n: string }>`select count(*)::text as n from ${sql.id(schema)}.${sql.id(table)}${filter}`.execute(database.db);
      return Number(result.rows[0]?.n ?? 0);
    },
    async close() {
      await tap.close({ timeoutMs: 1_000 });
      await service.stop();
      await http.close();
      await simulator.close();
      await transport.close();
      if (database.kind === 'postgres') await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}

/** The official SDK pointed at the harness's simulator, for looking behind the service's back. */
export function stripeOf(h: PaymentHarness): Stripe {
  return new Stripe('sk_test_paysaga', { host: h.simulator.host, port: h.simulator.port, protocol: 'http', maxNetworkRetries: 0 });
}

/** Signs a body the way Stripe does (`t=…,v1=HMAC-SHA256(secret, t.body)`), for tests that play Stripe themselves. */
export function stripeSignature(body: string, secret: string, timestamp = Math.floor(Date.now() / 1_000)): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A webhook endpoint that only records what the simulator sends (for replaying it later, shuffled and duplicated). */
export async function startWebhookRecorder(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => { bodies.push(Buffer.concat(chunks).toString('utf8')); response.writeHead(200).end('{}'); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, bodies, close: () => new Promise((resolve) => { server.close(() => resolve()); }) };
}
