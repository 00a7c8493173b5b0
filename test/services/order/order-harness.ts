import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Static } from 'typebox';
import { createEnvelope } from '../../../src/contracts/codec.ts';
import type { EventDefinition } from '../../../src/contracts/define-event.ts';
import type { Envelope } from '../../../src/contracts/envelope.ts';
import { DeliveryUpdated } from '../../../src/contracts/events/delivery.ts';
import type { CreateOrder } from '../../../src/contracts/events/saga.ts';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { issueToken, useBearerAuth, type Role } from '../../../src/platform/http/auth.ts';
import { createHttpServer } from '../../../src/platform/http/http-server.ts';
import { envelopeRecord } from '../../../src/platform/messaging/envelope-record.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { paysagaTopicSpecs } from '../../../src/platform/messaging/topic-specs.ts';
import type { Subscription, Transport } from '../../../src/platform/messaging/transport.ts';
import { createOrderService, type OrderService } from '../../../src/services/order/order-service.ts';
import { requestJson, sagaCommand, tapEnvelopes, type HttpAnswer, type SentCommand } from '../../support/service-calls.ts';
import { eventually, isolatedKafkaTransport, postgresUrl, uniqueName } from '../../support/env.ts';
import { closeTap, openScoped, type OpenScope } from '../../support/open-scope.ts';

export const AUTH_SECRET = 'order-service-test-secret-32-characters-long';
export const ORDER_EVENT_TOPICS = ['order.created', 'order.updated', 'order.confirmed', 'order.cancelled'];

export type Json = Record<string, unknown>;
type CommandRef = 'sagaId' | 'commandId' | 'step';
/** Any saga command payload without the fields the harness fills in. */
type CommandPayload<D> = D extends EventDefinition<infer P> ? Omit<Static<P>, CommandRef> : never;
export type CreateOrderPayload = CommandPayload<typeof CreateOrder>;

export type { HttpAnswer, SentCommand };

export interface OrderHarness {
  service: OrderService;
  database: Database;
  transport: Transport;
  schema: string;
  /** Every saga reply seen (the broker is shared: look yours up by commandId). */
  replies: Envelope[];
  /** Every order event seen. */
  events: Envelope[];
  /** The order events of one order, in the order they arrived. */
  eventsOf(orderId: string, type?: string): Envelope[];
  send<D extends EventDefinition>(definition: D, payload: CommandPayload<D>, ref?: { sagaId?: string; commandId?: string }): Promise<SentCommand>;
  /** The same envelope again (a redelivery: same eventId). */
  resend(topic: string, envelope: Envelope): Promise<void>;
  /** Sends a command and waits for its reply. */
  call<D extends EventDefinition>(definition: D, payload: CommandPayload<D>, ref?: { sagaId?: string; commandId?: string }): Promise<Json>;
  replyTo(commandId: string): Promise<Json>;
  repliesTo(commandId: string): Json[];
  /** Publishes delivery.updated as the delivery service's relay would; returns the envelope. */
  deliveryUpdate(orderId: string, status: Static<typeof DeliveryUpdated.payload>['status']): Promise<Envelope>;
  /** The topics of the order events the service wrote to its outbox for an order, in order (replies left out). */
  outboxEventTopics(orderId: string): Promise<string[]>;
  /** Whether the service's consumer has handled (inboxed) an event. */
  handled(eventId: string): Promise<boolean>;
  token(role: Role, subject: string): Promise<string>;
  request(method: 'GET' | 'POST', path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<HttpAnswer>;
  count(table: 'orders' | 'order_status_history' | 'cancelled_before_creation', column: string, value: string): Promise<number>;
  close(): Promise<void>;
}

/** A CreateOrder payload whose total is the sum of its lines. */
export function checkout(orderId: string, overrides: Partial<CreateOrderPayload> = {}): CreateOrderPayload {
  return {
    orderId, customerId: 'cust_a', restaurantId: 'rest_a', deliveryAddress: '1 Harbour Street',
    items: [
      { productId: 'burger', name: 'Burger', quantity: 2, unitPrice: { amount: 1_250, currency: 'EUR' } },
      { productId: 'fries', name: 'Fries', quantity: 1, unitPrice: { amount: 399, currency: 'EUR' } },
    ],
    total: { amount: 2_899, currency: 'EUR' },
    ...overrides,
  };
}

/** The order service on a real broker and PostgreSQL (or the embedded pair), its routes behind bearer auth, replies and order events tapped. */
export function openOrderHarness(options: { stack?: 'kafka+postgres' | 'in-process+pglite' } = {}): Promise<OrderHarness> {
  return openScoped((scope) => openIn(scope, options));
}

async function openIn(scope: OpenScope, options: { stack?: 'kafka+postgres' | 'in-process+pglite' }): Promise<OrderHarness> {
  const embedded = options.stack === 'in-process+pglite';
  const transport: Transport = scope.track(embedded
    ? new InProcessTransport()
    : await isolatedKafkaTransport('ordertest'), (opened) => opened.close());
  await transport.ensureTopics(paysagaTopicSpecs({ partitions: 3, replicationFactor: 1, minInsyncReplicas: null }));
  const database = scope.track(await openDatabase({ url: embedded ? 'pglite://memory' : postgresUrl() }), (opened) => opened.close());
  const schema = uniqueName('ord');
  const service = await createOrderService({
    db: database.db, transport, schema, groupId: uniqueName('order'), relayPollIntervalMs: 50,
    retry: { inPlaceAttempts: 2, inPlaceDelayMs: 10, delayedAttempts: 1, initialDelayMs: 100, maxDelayMs: 200 },
  });
  const http: FastifyInstance = scope.track(await createHttpServer({ title: 'paysaga order (test)' }), (opened) => opened.close());
  useBearerAuth(http, { secret: AUTH_SECRET });
  await service.routes(http);
  const baseUrl = await http.listen({ port: 0, host: '127.0.0.1' });
  await service.start();
  scope.track(service, (started) => started.stop());

  const replies: Envelope[] = [];
  const events: Envelope[] = [];
  const taps: Subscription[] = [
    scope.track(await tapEnvelopes(transport, ['saga.replies'], replies), closeTap),
    scope.track(await tapEnvelopes(transport, ORDER_EVENT_TOPICS, events), closeTap),
  ];

  const repliesTo = (commandId: string): Json[] => replies.map((reply) => reply.payload as Json).filter((payload) => payload.commandId === commandId);

  async function send<D extends EventDefinition>(definition: D, payload: CommandPayload<D>, ref: { sagaId?: string; commandId?: string } = {}): Promise<SentCommand> {
    const sent = sagaCommand(definition, payload as never, ref);
    await transport.publish([envelopeRecord(definition.topic, sent.envelope)]);
    return sent;
  }

  async function replyTo(commandId: string): Promise<Json> {
    return eventually(`reply to ${commandId}`, () => repliesTo(commandId)[0]);
  }

  return {
    service, database, transport, schema, replies, events, send, replyTo, repliesTo,
    eventsOf: (orderId, type) => events.filter((event) => event.key === orderId && (type === undefined || event.type === type)),
    resend: (topic, envelope) => transport.publish([envelopeRecord(topic, envelope)]),
    async call(definition, payload, ref) {
      const sent = await send(definition, payload, ref);
      return replyTo(sent.commandId);
    },
    async deliveryUpdate(orderId, status) {
      const envelope = createEnvelope(DeliveryUpdated, { deliveryId: `del_${orderId}`, orderId, status, courierId: 'courier_1' }, {
        source: 'delivery', key: orderId, correlationId: `saga-${orderId}`,
      });
      await transport.publish([envelopeRecord(DeliveryUpdated.topic, envelope)]);
      return envelope;
    },
    async outboxEventTopics(orderId) {
      const result = await sql<{ topic: string }>`select topic from ${sql.id(schema)}.outbox where key = ${orderId} and topic like 'order.%' order by id`.execute(database.db);
      return result.rows.map((row) => row.topic);
    },
    async handled(eventId) {
      const result = await sql<{ n: string }>`select count(*)::text as n from ${sql.id(schema)}.inbox where event_id = ${eventId}`.execute(database.db);
      return Number(result.rows[0]?.n ?? 0) > 0;
    },
    token: (role, subject) => issueToken(AUTH_SECRET, { role, subject }),
    request: (method, path, options) => requestJson(baseUrl, method, path, options),
    async count(table, column, value) {
      const result = await sql<{ n: string }>`select count(*)::text as n from ${sql.id(schema)}.${sql.id(table)} where ${sql.ref(column)} = ${value}`.execute(database.db);
      return Number(result.rows[0]?.n ?? 0);
    },
    async close() {
      await Promise.all(taps.map((tap) => tap.close({ timeoutMs: 1_000 })));
      await service.stop();
      await http.close();
      await transport.close();
      if (database.kind === 'postgres') await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}
