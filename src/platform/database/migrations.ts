import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';

export type SchemaMigration = (db: Kysely<unknown>, schema: string) => Promise<void>;

/**
 * Brings one service's schema up to date. Migrations are named `NNNN_description`
 * and applied in name order, each once, recorded in `<schema>.kysely_migration`;
 * Kysely's migration lock makes concurrent starts of one service safe.
 */
export async function migrateSchema(db: Kysely<unknown>, schema: string, migrations: Record<string, SchemaMigration>): Promise<void> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const bound: Record<string, Migration> = Object.fromEntries(Object.entries(migrations).map(([name, up]) => [
    name, { up: (migrationDb: Kysely<unknown>) => up(migrationDb, schema) },
  ]));
  const migrator = new Migrator({
    db,
    migrationTableSchema: schema,
    provider: { getMigrations: async () => bound },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(`migration of schema ${schema} failed: ${JSON.stringify(error)}`);
}
