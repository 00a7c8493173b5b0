import { sql, type RawBuilder } from 'kysely';

/**
 * A row's child rows in the same statement: `(select coalesce(json_agg(c order by …), '[]') from <table> c where
 * c.<column> = <parent>)`. One read instead of two — outside a transaction, one PostgreSQL transaction instead of two.
 * The rows come back as JSON (timestamps as text): `rowsFromJson` turns them back into what the driver gives.
 */
export function childRowsAsJson(table: string, column: string, parent: string, orderBy: readonly string[]): RawBuilder<unknown> {
  const order = sql.join(orderBy.map((name) => sql.ref(`c.${name}`)));
  return sql`(select coalesce(json_agg(c order by ${order}), '[]'::json) from ${sql.table(table)} as c where ${sql.ref(`c.${column}`)} = ${sql.ref(parent)})`;
}

/** JSON rows with their timestamp columns parsed back into Dates (PostgreSQL and PGlite both write them ISO 8601). */
export function rowsFromJson<T>(json: unknown, timestampColumns: readonly (keyof T & string)[]): T[] {
  if (!Array.isArray(json)) throw new TypeError(`expected a JSON array of rows, got ${typeof json}`);
  return json.map((row: Record<string, unknown>) => {
    const parsed: Record<string, unknown> = { ...row };
    for (const column of timestampColumns) {
      const value = row[column];
      if (typeof value === 'string') parsed[column] = new Date(value);
    }
    return parsed as T;
  });
}
