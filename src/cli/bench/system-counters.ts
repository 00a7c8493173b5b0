import { Admin, Consumer } from '@platformatic/kafka';
import pg from 'pg';

/** Runs `read` on a client of its own with a fresh statistics snapshot (pg_stat_* are cached per transaction otherwise). */
async function readStats<T>(databaseUrl: string, read: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    return await read(client);
  } finally {
    await client.end();
  }
}

/** PostgreSQL's committed transactions in `database` so far (pg_stat_database; an idle backend's last counts arrive up to 10 s late). */
export function committedTransactions(databaseUrl: string): Promise<number> {
  return readStats(databaseUrl, async (client) => {
    const result = await client.query<{ commits: string }>('SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()');
    return Number(result.rows[0]?.commits ?? 0);
  });
}

/** What PostgreSQL did to one schema's tables so far (pg_stat_user_tables): rows written, and scans that read them. */
export interface SchemaActivity {
  rowsWritten: number;
  scans: number;
}

/** Per schema of `database`: rows inserted, updated and deleted, and sequential plus index scans, so far. */
export function tableActivity(databaseUrl: string): Promise<Map<string, SchemaActivity>> {
  return readStats(databaseUrl, async (client) => {
    const result = await client.query<{ schema: string; written: string; scans: string }>(`SELECT schemaname AS schema,
      sum(n_tup_ins + n_tup_upd + n_tup_del)::text AS written, sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text AS scans
      FROM pg_stat_user_tables GROUP BY schemaname`);
    return new Map(result.rows.map((row) => [row.schema, { rowsWritten: Number(row.written), scans: Number(row.scans) }]));
  });
}

/** Each schema's activity between two readings, per saga (one decimal), leaving out schemas nothing touched. */
export function activityPerSaga(before: ReadonlyMap<string, SchemaActivity>, after: ReadonlyMap<string, SchemaActivity>, sagas: number): Record<string, SchemaActivity> {
  const perSaga: Record<string, SchemaActivity> = {};
  if (sagas <= 0) return perSaga;
  const round = (value: number): number => Math.round((value / sagas) * 10) / 10;
  for (const [schema, now] of [...after].sort(([a], [b]) => a.localeCompare(b))) {
    const then = before.get(schema) ?? { rowsWritten: 0, scans: 0 };
    const written = now.rowsWritten - then.rowsWritten;
    const scans = now.scans - then.scans;
    if (written > 0 || scans > 0) perSaga[schema] = { rowsWritten: round(written), scans: round(scans) };
  }
  return perSaga;
}

/** The sum of end offsets over the topics whose name passes `wanted` (records ever written to them). */
export async function recordsWritten(brokers: string[], wanted: (topic: string) => boolean): Promise<number> {
  const admin = new Admin({ bootstrapBrokers: brokers, clientId: 'paysaga-bench-topics' });
  let topics: string[];
  try {
    topics = (await admin.listTopics()).filter((topic) => !topic.startsWith('__') && wanted(topic));
  } finally {
    await admin.close();
  }
  const reader = new Consumer({ bootstrapBrokers: brokers, clientId: 'paysaga-bench-offsets', groupId: `paysaga-bench-offsets-${process.pid}` });
  try {
    if (topics.length === 0) return 0;
    const ends = await reader.listOffsets({ topics, timestamp: -1n });
    let total = 0n;
    for (const offsets of ends.values()) for (const offset of offsets) total += offset;
    return Number(total);
  } finally {
    await reader.close(true);
  }
}

/** The sum of `paysaga_consumer_lag` over a /metrics page (Prometheus text), or null when it has none. */
export function consumerLagOf(metrics: string): number | null {
  let total: number | null = null;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('paysaga_consumer_lag{') && !line.startsWith('paysaga_consumer_lag ')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** Scrapes GET /metrics of each process every `everyMs` and keeps the peak of their summed consumer lag. */
export class LagWatcher {
  readonly #urls: string[];
  readonly #token: string;
  #timer: NodeJS.Timeout | null = null;
  #peak: number | null = null;
  #scrapes = 0;
  #failures = 0;
  #busy = false;

  constructor(baseUrls: readonly string[], token: string) {
    this.#urls = baseUrls.map((url) => `${url.replace(/\/+$/, '')}/metrics`);
    this.#token = token;
  }

  start(everyMs = 1_000): void {
    this.#timer = setInterval(() => { void this.#scrape(); }, everyMs);
  }

  async stop(): Promise<{ peak: number | null; scrapes: number; failures: number }> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#scrape();
    return { peak: this.#peak, scrapes: this.#scrapes, failures: this.#failures };
  }

  async #scrape(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const pages = await Promise.all(this.#urls.map(async (url) => {
        const response = await fetch(url, { headers: { authorization: `Bearer ${this.#token}` }, signal: AbortSignal.timeout(10_000) });
        return consumerLagOf(await response.text());
      }));
      this.#scrapes += 1;
      const read = pages.filter((lag): lag is number => lag !== null);
      if (read.length > 0) this.#peak = Math.max(this.#peak ?? 0, read.reduce((sum, lag) => sum + lag, 0));
    } catch { // not logged: counted in the result's failures; a scrape lost under load does not stop the run
      this.#failures += 1;
    } finally {
      this.#busy = false;
    }
  }
}
