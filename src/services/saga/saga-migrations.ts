import type { SchemaMigration } from '../../platform/database/migrations.ts';
import { platformMigrations } from '../../platform/database/platform-tables.ts';
import { sagaMigrations } from '../../platform/saga/saga-tables.ts';

/** The orchestrator's schema: the platform tables plus saga instances, the step log and early events. */
export const orchestratorMigrations: Record<string, SchemaMigration> = { ...platformMigrations, ...sagaMigrations };
