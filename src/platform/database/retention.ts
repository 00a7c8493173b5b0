import { sql, type Kysely } from 'kysely';
import { fallbackLogger, type Logger } from '../observability/logger.ts';
import { RepeatingTask } from '../utils/repeating-task.ts';
import type { RetentionPolicy } from './retention-policy.ts';

/** A bookkeeping table of one schema and how long its rows are kept, aged by one timestamp column. */
export interface RetentionRule {
  table: string;
  /** Rows whose value here is older than `keepMs` are deleted; rows where it is null (an unpublished outbox row) never. */
  column: string;
  keepMs: number;
}

/** How long the platform's own bookkeeping is kept, and whether the database needs maintaining by us. */
export { DEFAULT_RETENTION, type RetentionPolicy } from './retention-policy.ts';

/** The platform's tables in every service schema, with what ages them. */
export function platformRetentionRules(policy: RetentionPolicy): RetentionRule[] {
  return [
    { table: 'outbox', column: 'published_at', keepMs: policy.outboxKeepMs },
    { table: 'inbox', column: 'processed_at', keepMs: policy.inboxKeepMs },
    { table: 'idempotency_keys', column: 'claimed_at', keepMs: policy.idempotencyKeepMs },
  ];
}

/** Rows deleted per statement: short statements, so PGlite's one connection is never held long. */
const DELETE_BATCH = 2_000;
/** Batches per table per pass; what is left waits for the next pass. */
const MAX_BATCHES_PER_PASS = 50;

export interface RetentionPass {
  /** Rows deleted, by table. */
  deleted: Record<string, number>;
  /** Tables vacuumed (PGlite only). */
  vacuumed: string[];
  /** Whether the pass checkpointed (PGlite only). */
  checkpointed: boolean;
}

/** Deletes, oldest first and a batch at a time, the rows of one table older than its rule allows. */
export async function pruneTable(db: Kysely<unknown>, schema: string, rule: RetentionRule, now = Date.now()): Promise<number> {
  const table = sql.table(`${schema}.${rule.table}`);
  const column = sql.ref(rule.column);
  const cutoff = new Date(now - rule.keepMs);
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch += 1) {
    const result = await sql`delete from ${table} where ctid = any(array(select ctid from ${table} where ${column} < ${cutoff} limit ${DELETE_BATCH}))`.execute(db);
    const count = Number(result.numAffectedRows ?? 0n);
    deleted += count;
    if (count < DELETE_BATCH) break;
  }
  return deleted;
}

interface TableActivity {
  table: string;
  live: string;
  dead: string;
  modified: string;
}

/**
 * What autovacuum would do, for PGlite, which has none: vacuum (and analyze) every table of the schema whose dead
 * rows passed autovacuum's threshold (50 + 20 % of its rows), analyze those changed by more than 10 %. Without it
 * every update and delete leaves its dead row for good, and an in-memory database only grows.
 */
export async function vacuumSchema(db: Kysely<unknown>, schema: string): Promise<string[]> {
  // The statistics reach pg_stat_* when the backend next goes idle, at most once a second: flushed now, read next.
  await sql`select pg_stat_force_next_flush()`.execute(db);
  const activity = await sql<TableActivity>`
    select relname as "table", n_live_tup::text as live, n_dead_tup::text as dead, n_mod_since_analyze::text as modified
    from pg_stat_user_tables where schemaname = ${schema}`.execute(db);
  const vacuumed: string[] = [];
  for (const row of activity.rows) {
    const live = Number(row.live);
    const table = sql.table(`${schema}.${row.table}`);
    if (Number(row.dead) > 50 + 0.2 * live) {
      await sql`vacuum (analyze) ${table}`.execute(db);
      vacuumed.push(row.table);
    } else if (Number(row.modified) > 50 + 0.1 * live) {
      await sql`analyze ${table}`.execute(db);
    }
  }
  return vacuumed;
}

export interface RetentionWorkerOptions {
  db: Kysely<unknown>;
  schema: string;
  rules: readonly RetentionRule[];
  policy: Pick<RetentionPolicy, 'intervalMs' | 'pglite'>;
  /** A failed pass is a warning (the next pass tries again); each pass that deleted something is a debug line. */
  logger?: Logger;
}

/**
 * Keeps a schema's bookkeeping bounded: every `intervalMs` it deletes what the rules say has aged out and, on PGlite,
 * vacuums and checkpoints. Domain rows (orders, payments, sagas and their histories) are never touched: only tables named by a rule.
 */
export class RetentionWorker {
  readonly #options: RetentionWorkerOptions;
  readonly #task: RepeatingTask;

  constructor(options: RetentionWorkerOptions) {
    this.#options = options;
    const logger = options.logger ?? fallbackLogger();
    const { schema, policy: { intervalMs } } = options;
    this.#task = new RepeatingTask(async () => {
      const pass = await this.runOnce();
      if (Object.values(pass.deleted).some((count) => count > 0) || pass.vacuumed.length > 0) logger.debug({ schema, ...pass }, 'retention pass');
    }, {
      intervalMs,
      // After a random part of the interval, so the services of one process do not all prune at once.
      firstDelayMs: Math.round(intervalMs * (0.25 + Math.random() * 0.75)),
      onError: (error) => { logger.warn({ err: error, schema, nextPassInMs: intervalMs }, 'retention pass failed; the next pass tries again'); },
    });
  }

  get rules(): readonly RetentionRule[] {
    return this.#options.rules;
  }

  /** One pass: prune every rule's table, then, on PGlite, vacuum and checkpoint. */
  async runOnce(now = Date.now()): Promise<RetentionPass> {
    const { db, schema, rules, policy } = this.#options;
    const deleted: Record<string, number> = {};
    for (const rule of rules) {
      if (this.#task.signal.aborted) break;
      deleted[rule.table] = await pruneTable(db, schema, rule, now);
    }
    if (!policy.pglite || this.#task.signal.aborted) return { deleted, vacuumed: [], checkpointed: false };
    const vacuumed = await vacuumSchema(db, schema);
    // Each service's pass checkpoints (a few ms): with six of them a minute apart the WAL is recycled every ~10 s.
    await sql`checkpoint`.execute(db);
    return { deleted, vacuumed, checkpointed: true };
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }
}
