import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startGatewaySimulator, type GatewaySimulator, type GatewaySimulatorOptions } from '../../../src/gateway/simulator/index.ts';

export const TEST_KEY = 'sk_test_paysaga_simulator';
export const WEBHOOK_SECRET = 'whsec_test_paysaga';

/** The official SDK pointed at a simulator; no automatic retries unless a test asks for them. */
export function stripeFor(simulator: GatewaySimulator, config: Stripe.StripeConfig = {}): Stripe {
  return new Stripe(TEST_KEY, { host: simulator.host, port: simulator.port, protocol: 'http', maxNetworkRetries: 0, ...config });
}

export async function startSimulator(options: GatewaySimulatorOptions = {}): Promise<{ simulator: GatewaySimulator; stripe: Stripe }> {
  const simulator = await startGatewaySimulator({ port: 0, ...options });
  return { simulator, stripe: stripeFor(simulator) };
}

/** The id of an intent's latest charge, expanded or not. */
export function chargeIdOf(intent: Stripe.PaymentIntent): string {
  const charge = intent.latest_charge;
  return typeof charge === 'string' ? charge : (charge?.id ?? '');
}

export interface ExpectedStripeError {
  type?: string;
  rawType?: string;
  code?: string;
  decline_code?: string;
  param?: string;
  statusCode?: number;
}

/** Awaits a rejected SDK call and checks the Stripe error fields; returns the error for further checks. */
export async function expectStripeError(call: Promise<unknown>, expected: ExpectedStripeError): Promise<Stripe.errors.StripeError> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Stripe.errors.StripeError, `expected a StripeError, got ${String(caught)}`);
  const actual: Record<string, unknown> = {};
  for (const field of Object.keys(expected)) actual[field] = (caught as unknown as Record<string, unknown>)[field];
  assert.deepEqual(actual, expected, caught.message);
  return caught;
}

/** A sequence of numbers for the simulator's `random` option (then 0.5 forever), so fault decisions are chosen by the test. */
export function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++] ?? 0.5;
}

export interface Delivery {
  raw: string;
  signature: string;
  event: Stripe.Event;
}

export interface WebhookReceiver {
  url: string;
  /** Every verified delivery, in arrival order (duplicates included). */
  deliveries: Delivery[];
  /** Every POST received, verified or not. */
  attempts: number;
  /** POSTs whose signature did not verify. */
  rejected: number;
  /** Most POSTs the receiver was answering at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

async function rawBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A webhook endpoint like the payment service's: verifies each POST with the
 * SDK's constructEvent on the raw body; `failFirst` attempts answer 500 first.
 */
export async function startWebhookReceiver(options: { secret?: string; failFirst?: number; answerAfterMs?: number } = {}): Promise<WebhookReceiver> {
  const secret = options.secret ?? WEBHOOK_SECRET;
  const verifier = new Stripe(TEST_KEY);
  const receiver: WebhookReceiver = {
    url: '',
    deliveries: [],
    attempts: 0,
    rejected: 0,
    maxInFlight: 0,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
  let inFlight = 0;
  const server = createServer((request, response) => {
    inFlight++;
    receiver.maxInFlight = Math.max(receiver.maxInFlight, inFlight);
    response.on('close', () => { inFlight--; });
    void rawBody(request).then(async (raw) => {
      if (options.answerAfterMs) await new Promise((resolve) => setTimeout(resolve, options.answerAfterMs));
      receiver.attempts++;
      if (receiver.attempts <= (options.failFirst ?? 0)) {
        response.writeHead(500).end('not yet');
        return;
      }
      const signature = String(request.headers['stripe-signature'] ?? '');
      try {
        const event = verifier.webhooks.constructEvent(raw, signature, secret);
        receiver.deliveries.push({ raw, signature, event });
        response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}');
      } catch {
        receiver.rejected++;
        response.writeHead(400).end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
  return receiver;
}

/** A raw HTTP call to the simulator, for what the SDK hides (exact bodies, headers, unauthenticated calls). */
export async function rawCall(simulator: Pick<GatewaySimulator, 'url'>, method: string, path: string, options: { form?: string; json?: unknown; headers?: Record<string, string>; auth?: boolean } = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth !== false) headers.Authorization = `Bearer ${TEST_KEY}`;
  let body: string | undefined;
  if (options.form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = options.form;
  } else if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${simulator.url}${path}`, { method, headers, body, redirect: 'manual' });
  return { status: response.status, body: await response.text(), headers: response.headers };
}
