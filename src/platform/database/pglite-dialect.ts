import type { PGlite } from '@electric-sql/pglite';
import {
  type CompiledQuery, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
  type DatabaseConnection, type DatabaseIntrospector, type Dialect, type DialectAdapter, type Driver,
  type Kysely, type QueryCompiler, type QueryResult, type TransactionSettings,
} from 'kysely';
import { Mutex } from '../utils/mutex.ts';
import { PGliteStatements } from './pglite-statements.ts';

/**
 * Kysely over PGlite (PostgreSQL in WebAssembly) for the embedded mode. PGlite
 * has one connection, so a mutex hands it to one transaction at a time; the SQL
 * is PostgreSQL's own, so the same queries and migrations run on both. Data
 * statements run prepared (pglite-statements.ts).
 */
class PGliteConnection implements DatabaseConnection {
  readonly #pg: PGlite;
  readonly #statements: PGliteStatements;
  readonly release: () => void;
  inTransaction = false;

  constructor(pg: PGlite, statements: PGliteStatements, release: () => void) {
    this.#pg = pg;
    this.#statements = statements;
    this.release = release;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#statements.run<R>(compiled.sql, compiled.parameters, this.inTransaction);
    return { rows: result.rows, numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows) };
  }

  /** `begin`, `commit`, `rollback`: the simple protocol, one round trip. */
  async control(statement: string, inTransaction: boolean): Promise<void> {
    try {
      await this.#pg.exec(statement);
    } finally {
      this.inTransaction = inTransaction;
    }
    if (!inTransaction) await this.#statements.forgetIfPending();
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on PGlite');
  }
}

class PGliteDriver implements Driver {
  readonly #pg: PGlite;
  readonly #statements: PGliteStatements;
  readonly #mutex = new Mutex();

  constructor(pg: PGlite) {
    this.#pg = pg;
    this.#statements = new PGliteStatements(pg);
  }

  async init(): Promise<void> {
    await this.#pg.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PGliteConnection(this.#pg, this.#statements, await this.#mutex.acquire());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await (connection as PGliteConnection).control(`begin${isolation}`, true);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).control('commit', false);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).control('rollback', false);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PGliteConnection).release();
  }

  async destroy(): Promise<void> {
    await this.#pg.close();
  }
}

export class PGliteDialect implements Dialect {
  readonly #pg: PGlite;

  constructor(pg: PGlite) {
    this.#pg = pg;
  }

  createAdapter(): DialectAdapter { return new PostgresAdapter(); }
  createDriver(): Driver { return new PGliteDriver(this.#pg); }
  createQueryCompiler(): QueryCompiler { return new PostgresQueryCompiler(); }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector { return new PostgresIntrospector(db); }
}
