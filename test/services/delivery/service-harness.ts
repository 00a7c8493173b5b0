import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Static, TSchema } from 'typebox';
import type { EventDefinition } from '../../../src/contracts/define-event.ts';
import type { Envelope } from '../../../src/contracts/envelope.ts';
import { openDatabase, type Database } from '../../../src/platform/database/database.ts';
import { issueToken, useBearerAuth, type Role } from '../../../src/platform/http/auth.ts';
import { createHttpServer } from '../../../src/platform/http/http-server.ts';
import { envelopeRecord } from '../../../src/platform/messaging/envelope-record.ts';
import { InProcessTransport } from '../../../src/platform/messaging/in-process/in-process-transport.ts';
import { paysagaTopicSpecs } from '../../../src/platform/messaging/topic-specs.ts';
import type { Subscription, Transport } from '../../../src/platform/messaging/transport.ts';
import { requestJson, sagaCommand, tapEnvelopes, type CommandFields, type HttpAnswer, type SentCommand } from '../../support/service-calls.ts';
import { eventually, isolatedKafkaTransport, postgresUrl, uniqueName } from '../../support/env.ts';
import { closeTap, openScoped, type OpenScope } from '../../support/open-scope.ts';

export const AUTH_SECRET = 'delivery-test-secret-of-at-least-32-characters';

type Json = Record<string, unknown>;

export type { HttpAnswer, SentCommand };

export interface ServiceHarness<S> {
  service: S;
  database: Database;
  transport: Transport;
  schema: string;
  baseUrl: string;
  http: FastifyInstance;
  /** Every saga reply seen since start (all tests' replies on a shared broker: filter by your own ids). */
  replies: Envelope[];
  /** Events on the tapped topics. */
  events: Envelope[];
  /** Sends a saga command to its topic, as the orchestrator's relay would. */
  send<P extends TSchema>(definition: EventDefinition<P>, payload: Omit<Static<P>, CommandFields>, ref?: { sagaId?: string; commandId?: string }): Promise<SentCommand>;
  /** Sends an envelope again (a redelivery: same eventId). */
  resend(topic: string, envelope: Envelope): Promise<void>;
  /** The reply to a command attempt, once it arrived. */
  replyTo(commandId: string): Promise<Json>;
  token(role: Role, subject: string): Promise<string>;
  request(method: 'GET' | 'POST', path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<HttpAnswer>;
  /** Rows of a table in the service schema whose columns equal the given values. */
  count(table: string, where: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  stack?: 'kafka+postgres' | 'in-process+pglite';
  tapTopics?: string[];
}

/** Opens a transport and database, creates a service on them, serves its routes with bearer auth, and taps replies and events. */
export function openServiceHarness<S extends RunnableUnderTest>(
  create: (base: { db: Database['db']; transport: Transport; schema: string; groupId: string }) => Promise<S>,
  options: HarnessOptions = {},
): Promise<ServiceHarness<S>> {
  return openScoped((scope) => openIn(scope, create, options));
}

interface RunnableUnderTest { routes(http: FastifyInstance): Promise<void>; start(): Promise<void>; stop(): Promise<void> }

async function openIn<S extends RunnableUnderTest>(
  scope: OpenScope,
  create: (base: { db: Database['db']; transport: Transport; schema: string; groupId: string }) => Promise<S>,
  options: HarnessOptions,
): Promise<ServiceHarness<S>> {
  const embedded = options.stack === 'in-process+pglite';
  const transport: Transport = scope.track(embedded
    ? new InProcessTransport()
    : await isolatedKafkaTransport('svctest'), (opened) => opened.close());
  await transport.ensureTopics(paysagaTopicSpecs({ partitions: 3, replicationFactor: 1, minInsyncReplicas: null }));
  const database = scope.track(await openDatabase({ url: embedded ? 'pglite://memory' : postgresUrl() }), (opened) => opened.close());
  const schema = uniqueName('svc');
  const service = await create({ db: database.db, transport, schema, groupId: uniqueName('group') });
  const http = scope.track(await createHttpServer({ title: 'paysaga service (test)' }), (opened) => opened.close());
  useBearerAuth(http, { secret: AUTH_SECRET });
  await service.routes(http);
  const baseUrl = await http.listen({ port: 0, host: '127.0.0.1' });
  await service.start();
  scope.track(service, (started) => started.stop());

  const replies: Envelope[] = [];
  const events: Envelope[] = [];
  const taps: Subscription[] = [scope.track(await tapEnvelopes(transport, ['saga.replies'], replies), closeTap)];
  if (options.tapTopics?.length) taps.push(scope.track(await tapEnvelopes(transport, options.tapTopics, events), closeTap));

  return {
    service, database, transport, schema, baseUrl, http, replies, events,
    async send(definition, payload, ref = {}) {
      const sent = sagaCommand(definition, payload, ref);
      await transport.publish([envelopeRecord(definition.topic, sent.envelope)]);
      return sent;
    },
    resend: (topic, envelope) => transport.publish([envelopeRecord(topic, envelope)]),
    async replyTo(commandId) {
      const reply = await eventually(`reply to ${commandId}`, () => replies.find((candidate) => (candidate.payload as Json).commandId === commandId));
      return reply.payload as Json;
    },
    token: (role, subject) => issueToken(AUTH_SECRET, { role, subject }),
    request: (method, path, options) => requestJson(baseUrl, method, path, options),
    async count(table, where) {
      const conditions = Object.entries(where).map(([column, value]) => sql`${sql.ref(column)} = ${value}`);
      const result = await sql<{ n: string }>`select count(*)::text as n from ${sql.id(schema)}.${sql.id(table)} where ${sql.join(conditions, sql` and `)}`.execute(database.db);
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
