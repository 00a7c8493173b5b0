import { Kysely, PostgresDialect, type Dialect } from 'kysely';
import pg from 'pg';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import { tracedDialect } from '../observability/traced-dialect.ts';

export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  readonly kind: DatabaseKind;
  /** Untyped at this level; each store narrows it to its own tables with `withSchema`. */
  readonly db: Kysely<unknown>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… for a PostgreSQL server; `pglite://memory` or `pglite://<dir>` for the embedded one. */
  url: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
  /** Pool errors (an idle client losing its server) are logged here. */
  logger?: Logger;
  /** Each query in a client span (only when tracing is on). */
  traced?: boolean;
}

const INT8_OID = 20;
const parseInt8 = (value: string): bigint => BigInt(value);

const int8AsBigInt = ((oid: number, format?: 'text' | 'binary'): unknown =>
  oid === INT8_OID ? parseInt8 : (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format)) as pg.CustomTypesConfig['getTypeParser'];

const traceIf = (options: DatabaseOptions, dialect: Dialect): Dialect => (options.traced ? tracedDialect(dialect) : dialect);

/** Opens PostgreSQL (through `pg`) or PGlite behind the same typed SQL layer (Kysely). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url.startsWith('pglite://')) {
    // Loaded only here: a process on PostgreSQL never pays for PGlite's module (nor its WebAssembly).
    const { openPGliteDialect } = await import('./pglite-database.ts');
    const db = new Kysely<unknown>({ dialect: traceIf(options, await openPGliteDialect(options.url.slice('pglite://'.length), { [INT8_OID]: parseInt8 })) });
    return { kind: 'pglite', db, close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    types: { getTypeParser: int8AsBigInt },
  });
  // A client losing its server (a PostgreSQL restart) must not end the process: pg emits 'error' on idle clients
  // through the pool and on checked-out clients on the client itself, where nobody listens. The query in flight
  // rejects on its own; the next one reconnects.
  const logger = options.logger ?? fallbackLogger();
  const lost = (error: Error): void => { logger.warn({ err: error }, 'a PostgreSQL connection was lost; the pool replaces it'); };
  pool.on('error', lost);
  pool.on('connect', (client) => { client.on('error', lost); });
  const db = new Kysely<unknown>({ dialect: traceIf(options, new PostgresDialect({ pool })) });
  return { kind: 'postgres', db, close: () => db.destroy() };
}
