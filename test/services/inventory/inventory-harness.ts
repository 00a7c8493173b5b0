import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Static } from 'typebox';
import type { Envelope } from '../../../src/contracts/envelope.ts';
import { ReserveStock, type CommitStock, type ReleaseStock } from '../../../src/contracts/events/saga.ts';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { issueToken, useBearerAuth, type Role } from '../../../src/platform/http/auth.ts';
import { createHttpServer } from '../../../src/platform/http/http-server.ts';
import { envelopeRecord } from '../../../src/platform/messaging/envelope-record.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { paysagaTopicSpecs } from '../../../src/platform/messaging/topic-specs.ts';
import type { Subscription, Transport } from '../../../src/platform/messaging/transport.ts';
import { createInventoryService, type InventoryService, type InventoryServiceOptions } from '../../../src/services/inventory/inventory-service.ts';
import { requestJson, sagaCommand, tapEnvelopes, type CommandFields, type HttpAnswer, type SentCommand } from '../../support/service-calls.ts';
import { eventually, isolatedKafkaTransport, postgresUrl, uniqueName } from '../../support/env.ts';
import { closeTap, openScoped, type OpenScope } from '../../support/open-scope.ts';

export const AUTH_SECRET = 'inventory-test-secret-of-at-least-32-characters';
export const INVENTORY_EVENT_TOPICS = ['inventory.reserved', 'inventory.committed', 'inventory.released'];

type Json = Record<string, unknown>;
/** ReserveStock, CommitStock and ReleaseStock share one topic. */
const COMMAND_TOPIC = ReserveStock.topic;
type StockCommand = typeof ReserveStock | typeof CommitStock | typeof ReleaseStock;
export type { HttpAnswer, SentCommand };

export interface InventoryHarness {
  service: InventoryService;
  /** Extra instances of the service (same schema, same group) sharing the command partitions. */
  instances: InventoryService[];
  database: Database;
  transport: Transport;
  schema: string;
  /** Every order id of this harness starts with it (the harness's own Kafka namespace keeps other tests' commands away). */
  prefix: string;
  http: FastifyInstance;
  baseUrl: string;
  /** Saga replies and inventory events about this harness's orders. */
  replies: Envelope[];
  events: Envelope[];
  orderId(label?: string): string;
  /** Sends a stock command as the orchestrator's relay would (a fresh commandId unless given). */
  send<D extends StockCommand>(definition: D, payload: Omit<Static<D['payload']>, CommandFields>, ref?: { sagaId?: string; commandId?: string }): Promise<SentCommand>;
  /** Sends many commands in one produce call (they arrive together). */
  sendAll(commands: { definition: StockCommand; payload: Json }[]): Promise<SentCommand[]>;
  /** Appends an envelope again: a redelivery with the same eventId. */
  resend(envelope: Envelope): Promise<void>;
  replyTo(commandId: string, timeoutMs?: number): Promise<Json>;
  /** The first reply to each command, in the order given, once all arrived. */
  replyToEach(sent: readonly SentCommand[], timeoutMs?: number): Promise<Json[]>;
  repliesTo(commandId: string): Json[];
  eventsOf(orderId: string): Envelope[];
  token(role: Role, subject?: string): Promise<string>;
  request(method: 'GET' | 'POST', path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<HttpAnswer>;
  stockOf(productId: string): Promise<{ on_hand: number; reserved: number; stocked: number }>;
  count(table: 'reservations' | 'reservation_lines' | 'reservation_refusals' | 'products', where?: { column: string; value: string }): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  stack?: 'kafka+postgres' | 'in-process+pglite';
  /** How many service instances share the group (default 1). */
  instances?: number;
  menu?: InventoryServiceOptions['menu'];
  maxConnections?: number;
}

/** The inventory service on a real broker and PostgreSQL (or the embedded pair), serving its routes behind bearer auth. */
export function openInventoryHarness(options: HarnessOptions = {}): Promise<InventoryHarness> {
  return openScoped((scope) => openIn(scope, options));
}

async function openIn(scope: OpenScope, options: HarnessOptions): Promise<InventoryHarness> {
  const embedded = options.stack === 'in-process+pglite';
  const transport: Transport = scope.track(embedded
    ? new InProcessTransport()
    : await isolatedKafkaTransport('invtest'), (opened) => opened.close());
  await transport.ensureTopics(paysagaTopicSpecs({ partitions: 3, replicationFactor: 1, minInsyncReplicas: null }));
  const database = scope.track(await openDatabase({ url: embedded ? 'pglite://memory' : postgresUrl(), ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}) }), (opened) => opened.close());
  const schema = uniqueName('inv');
  const prefix = uniqueName('invorder').replaceAll('_', '-');
  const groupId = uniqueName('inventory');
  const create = (): Promise<InventoryService> => createInventoryService({
    db: database.db, transport, schema, groupId, relayPollIntervalMs: 50,
    retry: { inPlaceAttempts: 2, inPlaceDelayMs: 10, delayedAttempts: 1, initialDelayMs: 100, maxDelayMs: 200 },
    ...(options.menu ? { menu: options.menu } : {}),
  });
  const service = await create();
  const instances: InventoryService[] = [];
  for (let index = 1; index < (options.instances ?? 1); index += 1) instances.push(await create());
  const http = scope.track(await createHttpServer({ title: 'paysaga inventory (test)' }), (opened) => opened.close());
  useBearerAuth(http, { secret: AUTH_SECRET });
  await service.routes(http);
  const baseUrl = await http.listen({ port: 0, host: '127.0.0.1' });

  const replies: Envelope[] = [];
  const events: Envelope[] = [];
  const taps: Subscription[] = [
    scope.track(await tapEnvelopes(transport, ['saga.replies'], replies), closeTap),
    scope.track(await tapEnvelopes(transport, INVENTORY_EVENT_TOPICS, events), closeTap),
  ];
  for (const started of [service, ...instances]) {
    await started.start();
    scope.track(started, (running) => running.stop());
  }

  let orders = 0;
  const commandOf = (definition: StockCommand, payload: Json, ref: { sagaId?: string; commandId?: string } = {}): SentCommand =>
    sagaCommand(definition as typeof ReserveStock, payload as Omit<Static<typeof ReserveStock.payload>, CommandFields>, ref);
  const repliesTo = (commandId: string): Json[] => replies.map((reply) => reply.payload as Json).filter((payload) => payload.commandId === commandId);

  return {
    service, instances, database, transport, schema, prefix, http, baseUrl, replies, events,
    orderId: (label = 'order') => `${prefix}-${label}-${++orders}`,
    async send(definition, payload, ref) {
      const sent = commandOf(definition, payload, ref);
      await transport.publish([envelopeRecord(definition.topic, sent.envelope)]);
      return sent;
    },
    async sendAll(commands) {
      const sent = commands.map(({ definition, payload }) => commandOf(definition, payload));
      await transport.publish(sent.map(({ envelope }, index) => envelopeRecord(commands[index]?.definition.topic ?? COMMAND_TOPIC, envelope)));
      return sent;
    },
    resend: (envelope) => transport.publish([envelopeRecord(COMMAND_TOPIC, envelope)]),
    async replyTo(commandId, timeoutMs = 30_000) {
      return eventually(`reply to ${commandId}`, () => repliesTo(commandId)[0], timeoutMs);
    },
    async replyToEach(sent, timeoutMs = 90_000) {
      return eventually(`replies to ${sent.length} commands`, () => {
        const answered = sent.map(({ commandId }) => repliesTo(commandId)[0]);
        return answered.every((reply) => reply !== undefined) ? answered : false;
      }, timeoutMs);
    },
    repliesTo,
    eventsOf: (orderId) => events.filter((event) => event.key === orderId),
    token: (role, subject = `${role}-1`) => issueToken(AUTH_SECRET, { role, subject }),
    request: (method, path, options) => requestJson(baseUrl, method, path, options),
    async stockOf(productId) {
      const result = await sql<{ on_hand: number; reserved: number; stocked: number }>`select on_hand, reserved, stocked from ${sql.id(schema)}.stock where product_id = ${productId}`.execute(database.db);
      const row = result.rows[0];
      if (!row) throw new Error(`no stock row for ${productId}`);
      return row;
    },
    async count(table, where) {
      const filter = where ? sql` where ${sql.ref(where.column)} = ${where.value}` : sql``;
      const result = await sql<{ n: string }>`select count(*)::text as n from ${sql.id(schema)}.${sql.id(table)}${filter}`.execute(database.db);
      return Number(result.rows[0]?.n ?? 0);
    },
    async close() {
      await Promise.all(taps.map((tap) => tap.close({ timeoutMs: 1_000 })));
      for (const instance of instances) await instance.stop();
      await service.stop();
      await http.close();
      await transport.close();
      if (database.kind === 'postgres') await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}
