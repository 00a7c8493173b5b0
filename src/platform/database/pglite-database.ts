import { PGlite, type ParserOptions } from '@electric-sql/pglite';
import { PGliteDialect } from './pglite-dialect.ts';

/**
 * An in-memory PGlite keeps its WAL and its data files in the process's memory. With PostgreSQL's defaults the WAL
 * grows to `max_wal_size` (1 GB) before a checkpoint recycles it — about 70 KB of WAL a saga — and every page sits
 * twice, in `shared_buffers` (128 MB) and in its file. Nothing of it survives the process, so full-page images (which
 * exist to repair torn pages after a crash) are not written either.
 */
const IN_MEMORY_SETTINGS = ['max_wal_size = 32MB', 'min_wal_size = 32MB', 'full_page_writes = off', 'shared_buffers = 32MB'];

/** PGlite in memory (`memory`) or in a data directory, behind the dialect Kysely runs on. */
export async function openPGliteDialect(location: string, parsers: ParserOptions): Promise<PGliteDialect> {
  const inMemory = location === 'memory';
  const pglite = await PGlite.create(inMemory ? undefined : location, { parsers, ...(inMemory ? { postgresqlconf: IN_MEMORY_SETTINGS } : {}) });
  return new PGliteDialect(pglite);
}
