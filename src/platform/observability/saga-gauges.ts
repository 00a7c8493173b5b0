import { Gauge, type Registry } from 'prom-client';
import { sql, type Kysely } from 'kysely';
import type { ScrapeSource } from './scrape-source.ts';

/** The deadline poller fires due sagas every second or so; a deadline this far past is one nothing acts on. */
export const DEADLINE_GRACE_MS = 30_000;

export interface ActiveSagaCount {
  type: string;
  status: string;
  active: number;
  /** Past their deadline by more than DEADLINE_GRACE_MS. */
  deadlinePassed: number;
  /** No step moved (resends and retries are not progress) for the stuck-after time, and not waiting on a deadline still ahead. */
  noProgress: number;
}

export interface MoneyAtRisk {
  currency: string;
  /** Minor units. */
  amount: number;
}

/**
 * Running and compensating sagas by type and status, with the stuck ones:
 * one pass over the active sagas (a partial index) and, for each, its last
 * progress entry in the step log (an index on saga id).
 */
export async function readActiveSagas(db: Kysely<unknown>, schema: string, stuckAfterMs: number): Promise<ActiveSagaCount[]> {
  const s = sql.id(schema);
  const now = Date.now();
  const overdueBefore = new Date(now - DEADLINE_GRACE_MS);
  const idleBefore = new Date(now - stuckAfterMs);
  const result = await sql<{ saga_type: string; status: string; active: string; deadline_passed: string; no_progress: string }>`
    select i.saga_type, i.status, count(*) as active,
      count(*) filter (where i.deadline_at < ${overdueBefore}) as deadline_passed,
      count(*) filter (where coalesce(p.at, i.created_at) < ${idleBefore} and not coalesce(p.kind = 'waiting' and i.deadline_at > ${new Date(now)}, false)) as no_progress
    from ${s}.saga_instances i
    left join lateral (
      select l.at, l.kind from ${s}.saga_step_log l
      where l.saga_id = i.id and l.kind not in ('command-resent', 'compensation-resent', 'retry')
      order by l.id desc limit 1
    ) p on true
    where i.status in ('RUNNING', 'COMPENSATING')
    group by i.saga_type, i.status`.execute(db);
  return result.rows.map((row) => ({
    type: row.saga_type, status: row.status, active: Number(row.active), deadlinePassed: Number(row.deadline_passed), noProgress: Number(row.no_progress),
  }));
}

export interface WatchedSagas {
  schema: string;
  active: ScrapeSource<ActiveSagaCount[]>;
}

export function registerSagaGauges(registry: Registry, sagas: () => readonly WatchedSagas[], moneyAtRisk: () => readonly ScrapeSource<MoneyAtRisk[]>[]): void {
  const registers = [registry];
  const counts = async (): Promise<ActiveSagaCount[]> => (await Promise.all(sagas().map((watched) => watched.active.get()))).flatMap((rows) => rows ?? []);
  new Gauge({
    name: 'paysaga_sagas_active', help: 'Sagas not yet ended, by type and status (RUNNING, COMPENSATING)', labelNames: ['type', 'status'], registers,
    async collect() {
      this.reset();
      for (const row of await counts()) this.inc({ type: row.type, status: row.status }, row.active);
    },
  });
  new Gauge({
    name: 'paysaga_sagas_stuck', help: 'Sagas past their deadline (reason deadline_passed) or without progress for SAGA_STUCK_AFTER_MS (reason no_progress), by type',
    labelNames: ['type', 'reason'], registers,
    async collect() {
      this.reset();
      for (const row of await counts()) {
        this.inc({ type: row.type, reason: 'deadline_passed' }, row.deadlinePassed);
        this.inc({ type: row.type, reason: 'no_progress' }, row.noProgress);
      }
    },
  });
  new Gauge({
    name: 'paysaga_money_at_risk_minor_units', help: 'Sum of amounts (minor units) in checkout sagas that captured or may capture and have not ended, by currency', labelNames: ['currency'], registers,
    async collect() {
      this.reset();
      const all = await Promise.all(moneyAtRisk().map((source) => source.get()));
      for (const rows of all) for (const { currency, amount } of rows ?? []) this.inc({ currency }, amount);
    },
  });
}
