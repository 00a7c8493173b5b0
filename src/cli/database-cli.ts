import type { Database } from '../platform/database/database.ts';
import type { PlatformConfig } from '../platform/config.ts';
import { UsageError } from './cli-conventions.ts';

/** Runs `work` on DATABASE_URL (PAYSAGA_NAMESPACE respected by the caller's schema names), closing the pool afterwards. */
export async function withDatabase<T>(work: (database: Database, config: PlatformConfig) => Promise<T>): Promise<T> {
  const { loadConfig } = await import('../platform/config.ts');
  const { openDatabase } = await import('../platform/database/database.ts');
  const config = loadConfig();
  if (config.databaseUrl.startsWith('pglite://memory')) throw new UsageError('set DATABASE_URL: the embedded database lives inside its own process (use the HTTP API there)');
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: 2 });
  try {
    return await work(database, config);
  } finally {
    await database.close();
  }
}

/** PostgreSQL's "relation does not exist": the service never ran against this database and namespace. */
export function isMissingTable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === '42P01' || error.code === '3F000');
}
