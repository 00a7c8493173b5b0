import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/database/database.ts';
import { migrateSchema } from '../../src/platform/database/migrations.ts';
import { platformMigrations } from '../../src/platform/database/platform-tables.ts';
import { postgresUrl, uniqueName } from './env.ts';

export interface TestSchema {
  database: Database;
  schema: string;
  drop(): Promise<void>;
}

/** A fresh service schema with the platform tables, on the machine's PostgreSQL (or PGlite). */
export async function freshSchema(url = postgresUrl()): Promise<TestSchema> {
  const database = await openDatabase({ url });
  const schema = uniqueName('t');
  // A failed migration must not leave the pool open (the test file would hang on it).
  await migrateSchema(database.db, schema, platformMigrations).catch(async (error: unknown) => { await database.close(); throw error; });
  return {
    database, schema,
    drop: async () => {
      if (database.kind === 'postgres') await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}
