import { parse, protocol, type PGlite, type Results } from '@electric-sql/pglite';

/** Most prepared statements kept; past it the cache is emptied between transactions (Kysely's texts are few). */
const MAX_PREPARED = 2_000;

/** Statements that may be prepared and reused: plain data statements. The rest go through `query()`. */
const DATA_STATEMENT = /^\s*(select|insert|update|delete|with)\b/i;
/**
 * Statements that may change what a prepared plan was made for. Not `vacuum` or `analyze`: they change no table's
 * shape, and PostgreSQL replans a cached plan itself when statistics change; dropping every statement after each
 * retention pass's vacuum cost a re-prepare of all of them.
 */
const SCHEMA_CHANGE = /^\s*(create|alter|drop|truncate|comment|do|reindex|cluster|discard)\b/i;

interface Prepared {
  name: string;
  paramTypes: number[];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Runs statements on PGlite as prepared statements, one WebAssembly round trip each.
 *
 * `PGlite.query()` parses and plans every statement afresh and crosses into WebAssembly six times for it (parse,
 * describe statement, bind, describe portal, execute, sync); in embedded mode those crossings and plans were
 * most of a saga's CPU. Here a statement text is parsed and described once, under a name, and each run is one
 * message: bind, describe, execute, sync. Values are serialized by the parameter types PostgreSQL inferred, with
 * PGlite's own serializers, and rows parsed with its parsers, so results are exactly `query()`'s.
 *
 * A statement that is not plain data (DDL, `set`, …) goes through `query()`; after DDL every prepared statement
 * is dropped at the end of the transaction: a changed table must not meet a plan made for the old one.
 */
export class PGliteStatements {
  readonly #pg: PGlite;
  readonly #prepared = new Map<string, Prepared>();
  #next = 0;
  #forgetPending = false;

  constructor(pg: PGlite) {
    this.#pg = pg;
  }

  async run<R>(sql: string, parameters: readonly unknown[], inTransaction: boolean): Promise<Results<R>> {
    if (!DATA_STATEMENT.test(sql)) {
      const result = await this.#pg.query<R>(sql, [...parameters]);
      if (SCHEMA_CHANGE.test(sql) && this.#prepared.size > 0) this.#forgetPending = true;
      if (!inTransaction) await this.forgetIfPending();
      return result;
    }
    const prepared = this.#prepared.get(sql) ?? await this.#prepare(sql);
    const values = parameters.map((value, index) => this.#serialize(value, prepared.paramTypes[index] ?? 0));
    const { messages } = await this.#pg.execProtocol(concat([
      protocol.serialize.bind({ statement: prepared.name, values }),
      protocol.serialize.describe({ type: 'P' }),
      protocol.serialize.execute({}),
      protocol.serialize.sync(),
    ]), { syncToFs: !inTransaction });
    const [result] = parse.parseResults(messages, this.#pg.parsers) as Results<R>[];
    if (!result) throw new Error(`PGlite returned no result for a prepared statement: ${sql.slice(0, 200)}`);
    return result;
  }

  /** Between transactions: drops the prepared statements when DDL ran or the cache is full. */
  async forgetIfPending(): Promise<void> {
    if (!this.#forgetPending && this.#prepared.size < MAX_PREPARED) return;
    this.#forgetPending = false;
    this.#prepared.clear();
    await this.#pg.exec('deallocate all');
  }

  async #prepare(sql: string): Promise<Prepared> {
    const name = `paysaga_${(this.#next += 1)}`;
    const { messages } = await this.#pg.execProtocol(concat([
      protocol.serialize.parse({ name, text: sql }),
      protocol.serialize.describe({ type: 'S', name }),
      protocol.serialize.sync(),
    ]), { syncToFs: false });
    const prepared = { name, paramTypes: parse.parseDescribeStatementResults(messages) };
    this.#prepared.set(sql, prepared);
    return prepared;
  }

  /** As `PGlite.query()` does: null stays null, a type with a serializer uses it, anything else its text. */
  #serialize(value: unknown, type: number): string | null {
    if (value === null || value === undefined) return null;
    const serializer = this.#pg.serializers[type];
    if (serializer) return serializer(value);
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'object') return JSON.stringify(value);
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value.toString();
    throw new TypeError(`a ${typeof value} cannot be a statement parameter`);
  }
}
