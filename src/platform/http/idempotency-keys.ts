import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sleep } from '../utils/sleep.ts';
import { errorBody } from './api-error.ts';

export interface IdempotencyKeyTable {
  /** Whose key it is (`role:subject` of the caller): keys of different callers never meet, as Stripe scopes keys to an account. */
  scope: string;
  key: string;
  fingerprint: string;
  route: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: string | null;
  claimed_at: Date;
  completed_at: Date | null;
}

type KeysDb = Kysely<{ idempotency_keys: IdempotencyKeyTable }>;

export interface IdempotencyOptions {
  db: Kysely<unknown>;
  schema: string;
  /** How long a request holding a key may run before another request may take the key over (crash recovery). */
  staleAfterMs?: number;
  /** How long a concurrent request with the same key waits for the first to finish before answering 409. */
  waitForInFlightMs?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set false on a POST that must not take Idempotency-Key (e.g. the Stripe webhook). */
    idempotency?: boolean;
  }
  interface FastifyRequest {
    /** The caller's key with its scope and the request's fingerprint, while the request holds it. */
    idempotency?: HeldKey;
  }
}

const MAX_KEY_LENGTH = 255;

interface HeldKey {
  scope: string;
  key: string;
  fingerprint: string;
}

/** Keys belong to the caller: the same key from another principal is another key. */
function scopeOf(request: FastifyRequest): string {
  return request.principal ? `${request.principal.role}:${request.principal.subject}` : 'anonymous';
}

/**
 * An id derived from the caller, their Idempotency-Key and the request, or
 * null without a key. A route names what it creates with it, so a retry after a
 * crash (the key left in flight, then taken over) finds what the first attempt
 * created instead of creating it again. Another body under the same key (after
 * a 4xx released it) derives another id.
 */
export function idempotentId(request: FastifyRequest, purpose: string): string | null {
  const held = request.idempotency;
  if (!held) return null;
  return createHash('sha256').update(JSON.stringify([held.scope, held.key, held.fingerprint, purpose])).digest('hex').slice(0, 24);
}

function fingerprintOf(request: FastifyRequest): string {
  return createHash('sha256').update(JSON.stringify([request.method, request.routeOptions.url, request.params, request.body ?? null])).digest('hex');
}

/**
 * `Idempotency-Key` on every POST, with Stripe's rules: the first request's
 * status and body are stored and replayed for the same key and parameters;
 * the same key with other parameters is refused; a concurrent request with a
 * key still in flight waits for it (then replays), or gets 409. A 4xx answer
 * (and a 503 with Retry-After: shed, or the database away) wrote nothing, so its key is released and a corrected retry may use it.
 * Keys are claimed atomically (INSERT … ON CONFLICT DO NOTHING).
 */
export function useIdempotencyKeys(app: FastifyInstance, options: IdempotencyOptions): void {
  const keys = (options.db as unknown as KeysDb).withSchema(options.schema);
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const waitMs = options.waitForInFlightMs ?? 10_000;

  async function replay(reply: FastifyReply, row: Pick<IdempotencyKeyTable, 'response_status' | 'response_body'>): Promise<FastifyReply> {
    return reply.code(row.response_status ?? 500).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(row.response_body ?? '');
  }

  async function claim({ scope, key, fingerprint }: HeldKey, route: string): Promise<boolean> {
    const inserted = await keys.insertInto('idempotency_keys')
      .values({ scope, key, fingerprint, route, state: 'in_progress', response_status: null, response_body: null, claimed_at: new Date(), completed_at: null })
      .onConflict((conflict) => conflict.columns(['scope', 'key']).doNothing()).returning('key').executeTakeFirst();
    if (inserted) return true;
    // A holder that crashed mid-request leaves its key in flight; after staleAfterMs a retry takes it over.
    const takenOver = await keys.updateTable('idempotency_keys').set({ claimed_at: new Date() })
      .where('scope', '=', scope).where('key', '=', key).where('state', '=', 'in_progress').where('fingerprint', '=', fingerprint)
      .where('claimed_at', '<', new Date(Date.now() - staleAfterMs)).returning('key').executeTakeFirst();
    return takenOver !== undefined;
  }

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.config.idempotency === false) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] ?? '' : header;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      return reply.code(400).send(errorBody('invalid_idempotency_key', `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`));
    }
    const held: HeldKey = { scope: scopeOf(request), key, fingerprint: fingerprintOf(request) };
    const { fingerprint } = held;
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await claim(held, route)) {
        request.idempotency = held;
        return;
      }
      const row = await keys.selectFrom('idempotency_keys').selectAll().where('scope', '=', held.scope).where('key', '=', key).executeTakeFirst();
      if (!row) continue; // released between our insert and our read: claim again
      if (row.fingerprint !== fingerprint) {
        return reply.code(422).send(errorBody('idempotency_key_reused', `Idempotency-Key ${key} was used for a different request (${row.route}); use a new key`));
      }
      if (row.state === 'completed') return replay(reply, row);
      if (Date.now() >= deadline) {
        return reply.code(409).send(errorBody('idempotency_key_in_use', `a request with Idempotency-Key ${key} is still being processed; retry later`));
      }
      await sleep(50);
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const held = request.idempotency;
    if (held === undefined || reply.getHeader('idempotent-replayed') !== undefined) return payload;
    request.idempotency = undefined;
    const { scope, key } = held;
    // A 503 with Retry-After (load shed, database away) asks for the same request again: its key must not replay the 503.
    if ((reply.statusCode >= 400 && reply.statusCode < 500) || (reply.statusCode === 503 && reply.getHeader('retry-after') !== undefined)) {
      await keys.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).where('state', '=', 'in_progress').execute();
      return payload;
    }
    // Stored before the client sees it: a retry after this response always replays it.
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : JSON.stringify(payload ?? null);
    await keys.updateTable('idempotency_keys')
      .set({ state: 'completed', response_status: reply.statusCode, response_body: body, completed_at: new Date() })
      .where('scope', '=', scope).where('key', '=', key).execute();
    return payload;
  });
}

export const idempotencyKeysMigration = async (db: Kysely<unknown>, schema: string): Promise<void> => {
  await sql`create table ${sql.id(schema)}.idempotency_keys (
    key text primary key,
    fingerprint text not null,
    route text not null,
    state text not null check (state in ('in_progress', 'completed')),
    response_status integer,
    response_body text,
    claimed_at timestamptz not null,
    completed_at timestamptz
  )`.execute(db);
};

/** Keys become the caller's (finding: another customer's key replayed the first customer's checkout); older keys keep an empty scope and age out. */
export const scopedIdempotencyKeysMigration = async (db: Kysely<unknown>, schema: string): Promise<void> => {
  const table = sql.table(`${schema}.idempotency_keys`);
  await sql`alter table ${table} add column scope text not null default ''`.execute(db);
  await sql`alter table ${table} drop constraint idempotency_keys_pkey`.execute(db);
  await sql`alter table ${table} add primary key (scope, key)`.execute(db);
};
