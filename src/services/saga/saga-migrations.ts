import type { SchemaMigration } from '../../platform/database/migrations.ts';
import { platformMigrations } from '../../platform/database/platform-tables.ts';
import { sagaMigrations } from '../../platform/saga/saga-tables.ts';
import { cancellationsAwaitingCheckoutMigrations } from './cancellations-awaiting-checkout.ts';

/** The orchestrator's schema: the platform tables plus saga instances, the step log and early events, and cancellations waiting for a checkout. */
export const orchestratorMigrations: Record<string, SchemaMigration> = { ...platformMigrations, ...sagaMigrations, ...cancellationsAwaitingCheckoutMigrations };
