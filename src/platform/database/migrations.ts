import { sql, type Kysely } from 'kysely';

export type SchemaMigration = (db: Kysely<unknown>, schema: string) => Promise<void>;

/**
 * Brings one service's schema up to date. Migrations are named `NNNN_description`
 * and applied in name order, each once, recorded in `<schema>.schema_migrations`.
 *
 * Everything runs in one transaction (PostgreSQL's DDL is transactional, so a
 * failed migration leaves the schema as it was) under an advisory lock on the
 * schema's name, so concurrent starts of one service apply each migration once.
 * Only this schema is read: Kysely's Migrator introspected every schema of the
 * database on each start, which failed when another schema was dropped meanwhile.
 */
export async function migrateSchema(db: Kysely<unknown>, schema: string, migrations: Record<string, SchemaMigration>): Promise<void> {
  const table = sql.table(`${schema}.schema_migrations`);
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`paysaga.migrate.${schema}`}))`.execute(trx);
    await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
    await sql`create table if not exists ${table} (name text primary key, applied_at timestamptz not null default now())`.execute(trx);
    const appliedNames = async (): Promise<Set<string>> => new Set((await sql<{ name: string }>`select name from ${table}`.execute(trx)).rows.map((row) => row.name));
    let applied = await appliedNames();
    // Only a schema with no history of ours can have Kysely's: looked for once, not on every start.
    if (applied.size === 0 && await adoptKyselyBookkeeping(trx, schema)) applied = await appliedNames();
    for (const [name, migrate] of Object.entries(migrations).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (applied.has(name)) continue;
      try {
        await migrate(trx, schema);
      } catch (error) {
        throw new Error(`migration ${name} of schema ${schema} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      await sql`insert into ${table} (name) values (${name})`.execute(trx);
    }
  });
}

/** Schemas migrated by earlier versions (Kysely's Migrator) keep their history: their applied names are taken over once. */
async function adoptKyselyBookkeeping(db: Kysely<unknown>, schema: string): Promise<boolean> {
  const previous = await sql<{ found: string | null }>`select to_regclass(format('%I.kysely_migration', ${schema}::text))::text as found`.execute(db);
  if (!previous.rows[0]?.found) return false;
  await sql`insert into ${sql.table(`${schema}.schema_migrations`)} (name) select name from ${sql.table(`${schema}.kysely_migration`)} on conflict (name) do nothing`.execute(db);
  return true;
}
