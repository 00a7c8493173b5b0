/**
 * The load driver: drives checkout sagas through paysaga's public HTTP API at
 * one base URL (embedded `paysaga start`, or `paysaga up`'s front door) and
 * records each one. `paysaga bench` and the fault suite use it.
 *
 *   const result = await runLoad({
 *     baseUrl: 'http://127.0.0.1:3000',
 *     auth: { secret: AUTH_SECRET },                  // or { customerToken, adminToken }
 *     load: { kind: 'closed', concurrency: 50 },      // or { kind: 'open', ratePerSecond: 100 }
 *     stop: { sagas: 1_000 },                         // or { durationMs: 60_000 }
 *     warmup: { sagas: 100 },                         // or { durationMs: 5_000 }; left out of the figures
 *     mix: { decline: 0.1, cancel: 0.05, fullRefund: 0.05, partialRefund: 0.05 },  // the rest: plain checkouts
 *     signal, onProgress: (progress) => ..., progressEveryMs: 500,
 *   });
 *   result.summary.completedPerSecond; result.summary.e2eMs.p99; result.records[0].calls
 *
 * A saga: POST /checkout → (202: wait for GET /payments/:id) → POST /payments/:id/confirm with `pm_card_visa`
 * (declines: `pm_card_visa_chargeDeclined`) → poll GET /orders/:id until CONFIRMED (declines: PAYMENT_FAILED) →
 * GET /sagas/:id for its own timestamps (e2e = saga creation → confirm-order succeeded). Cancellations then
 * POST /orders/:id/cancel and wait for REFUNDED; refunds POST /orders/:id/refunds (all, or a third) and wait for the
 * refund saga to complete. Before the run it adds a product with plenty of stock (admin POST /products).
 *
 * Closed loop: `concurrency` sagas in flight, each slot starting the next when one ends (a slot shed with 503 +
 * Retry-After pauses that long, at most 1 s). Open loop: starts at `ratePerSecond` whatever is in flight (up to
 * `maxInFlight`, beyond which a due start is counted as `client-backlog` and skipped — the client, not the system,
 * would be the limit). By count the run ends when `sagas` measured sagas are done; by duration, starts stop at
 * `durationMs` after the warm-up and the run waits (at most `sagaTimeoutMs`) for those in flight.
 * Every saga is a record, never an exception: errors are counted by kind (see SagaRecord / ErrorKind).
 * Aborting `signal` stops starting and ends polls at once; the result then holds what was done.
 */
import { randomBytes } from 'node:crypto';
import { issueToken } from '../../platform/http/auth.ts';
import { summarize, type LoadSummary } from './load-summary.ts';
import { MixDealer, type SagaMix } from './saga-mix.ts';
import { abortableSleep, runSagaFlow, type FlowContext, type SagaRecord } from './saga-flows.ts';
import { TimedHttp } from './timed-http.ts';

export type { SagaRecord, SagaKind, SagaOutcome, ErrorKind, SagaError } from './saga-flows.ts';
export type { CallRecord } from './timed-http.ts';
export type { LoadSummary, Percentiles } from './load-summary.ts';
export type { SagaMix } from './saga-mix.ts';
export { summarize, percentiles } from './load-summary.ts';

export type LoadShape = { kind: 'closed'; concurrency: number } | { kind: 'open'; ratePerSecond: number; maxInFlight?: number };
export type LoadAuth = { secret: string } | { customerToken: string; adminToken: string };

export interface LoadOptions {
  baseUrl: string;
  auth: LoadAuth;
  load: LoadShape;
  stop: { sagas: number } | { durationMs: number };
  warmup?: { sagas?: number; durationMs?: number };
  mix?: SagaMix;
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  progressEveryMs?: number;
  /** A saga not at its end within this is recorded `timeout` (default 60 s). */
  sagaTimeoutMs?: number;
  /** Per HTTP call (default 30 s). */
  requestTimeoutMs?: number;
  /** Pause between polls: starts at initialMs, grows ×1.5 up to maxMs (default 50 → 500 ms). */
  poll?: { initialMs: number; maxMs: number };
  /** A test card the gateway declines (default pm_card_visa_chargeDeclined). */
  declineCard?: string;
}

export interface LoadProgress {
  phase: 'warmup' | 'measuring' | 'draining';
  elapsedMs: number;
  started: number;
  done: number;
  inFlight: number;
  completed: number;
  failed: number;
  /** The target (sagas) or null when the run is by duration. */
  target: number | null;
  /** Fraction of the run done, 0..1 (by count or by time). */
  fraction: number;
  /** Completed sagas per second over the last progress interval. */
  recentPerSecond: number;
}

export interface LoadResult {
  startedAt: string;
  endedAt: string;
  /** Every saga, warm-up included (marked). */
  records: SagaRecord[];
  summary: LoadSummary;
  /** Open-loop starts skipped because maxInFlight sagas were already in flight. */
  clientBacklog: number;
  aborted: boolean;
}

/** The product every bench saga buys: added once per run with stock to spare. */
async function addBenchProduct(http: TimedHttp, adminToken: string): Promise<FlowContext['product']> {
  const product = { id: `bench-${randomBytes(6).toString('hex')}`, name: 'Bench Pizza', unitPrice: { amount: 1_200, currency: 'USD' } };
  const answer = await http.call('POST /products', 'POST', '/products', adminToken, { ...product, restaurantId: 'resto-1', stock: 1_000_000 });
  if (answer.status !== 201) throw new Error(`could not add the bench product: ${answer.status} ${answer.record.failure ?? JSON.stringify(answer.body)}`);
  return product;
}

async function tokensOf(auth: LoadAuth): Promise<{ customerToken: string; adminToken: string }> {
  if ('customerToken' in auth) return auth;
  const subject = `bench-${randomBytes(4).toString('hex')}`;
  return {
    customerToken: await issueToken(auth.secret, { subject: `${subject}-customer`, role: 'customer' }),
    adminToken: await issueToken(auth.secret, { subject: `${subject}-admin`, role: 'admin' }),
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = abort.signal;
  const sagaTimeoutMs = options.sagaTimeoutMs ?? 60_000;
  const http = new TimedHttp(options.baseUrl, { timeoutMs: options.requestTimeoutMs ?? 30_000, signal });
  const tokens = await tokensOf(options.auth);
  const context: FlowContext = {
    http, ...tokens, product: await addBenchProduct(http, tokens.adminToken), signal, sagaTimeoutMs,
    poll: options.poll ?? { initialMs: 50, maxMs: 500 }, declineCard: options.declineCard ?? 'pm_card_visa_chargeDeclined',
  };
  const dealer = new MixDealer(options.mix);
  const began = performance.now();
  const startedAt = new Date().toISOString();
  const clock = (): number => performance.now() - began;
  const warmSagas = options.warmup?.sagas ?? 0;
  const warmMs = options.warmup?.durationMs ?? 0;
  const byCount = 'sagas' in options.stop ? options.stop.sagas : null;
  const durationMs = 'durationMs' in options.stop ? options.stop.durationMs : null;

  const records: SagaRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  let started = 0;
  let measuredStarted = 0;
  let measuringSinceMs: number | null = warmSagas === 0 && warmMs === 0 ? 0 : null;
  let clientBacklog = 0;

  const isWarmup = (): boolean => started < warmSagas || clock() < warmMs;
  /** Whether another saga may start now. */
  const mayStart = (): boolean => {
    if (signal.aborted) return false;
    if (byCount !== null) return measuredStarted < byCount;
    return measuringSinceMs === null || clock() - measuringSinceMs < (durationMs ?? 0);
  };
  const launch = (): Promise<void> => {
    const warmup = isWarmup();
    if (!warmup) {
      measuredStarted += 1;
      measuringSinceMs ??= clock();
    }
    const seq = started;
    started += 1;
    const running = runSagaFlow(context, seq, dealer.next(), warmup, clock).then((record) => { records.push(record); });
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running));
    return running;
  };

  const progress = startProgress(options, () => ({ records, started, inFlight: inFlight.size, measuringSinceMs, clock, byCount, durationMs }));
  try {
    if (options.load.kind === 'closed') {
      const slot = async (): Promise<void> => {
        while (mayStart()) {
          await launch();
          const last = records[records.length - 1];
          const retryAfter = last?.error?.retryAfterSeconds;
          if (retryAfter !== undefined) await abortableSleep(Math.min(1_000, retryAfter * 1_000), signal);
        }
      };
      const concurrency = options.load.concurrency;
      if (!(concurrency >= 1)) throw new Error('concurrency must be at least 1');
      await Promise.all(Array.from({ length: concurrency }, () => slot()));
    } else {
      const { ratePerSecond } = options.load;
      const maxInFlight = options.load.maxInFlight ?? 10_000;
      if (!(ratePerSecond > 0)) throw new Error('ratePerSecond must be above 0');
      const t0 = clock();
      for (let n = 0; mayStart(); n += 1) {
        const due = t0 + (n * 1_000) / ratePerSecond;
        const wait = due - clock();
        if (wait > 1) await abortableSleep(wait, signal);
        if (!mayStart()) break;
        if (inFlight.size >= maxInFlight) { clientBacklog += 1; continue; }
        void launch();
      }
      // Bounded: every saga ends by its own timeout.
      await Promise.all([...inFlight]);
    }
  } finally {
    progress.stop();
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  records.sort((a, b) => a.seq - b.seq);
  return { startedAt, endedAt: new Date().toISOString(), records, summary: summarize(records), clientBacklog, aborted: options.signal?.aborted ?? false };
}

interface ProgressState {
  records: readonly SagaRecord[];
  started: number;
  inFlight: number;
  measuringSinceMs: number | null;
  clock: () => number;
  byCount: number | null;
  durationMs: number | null;
}

function startProgress(options: LoadOptions, state: () => ProgressState): { stop(): void } {
  const report = options.onProgress;
  if (!report) return { stop: () => undefined };
  let lastCompleted = 0;
  let lastAt = 0;
  const tick = (): void => {
    const now = state();
    const elapsedMs = now.clock();
    const measured = now.records.filter((record) => !record.warmup);
    const completed = measured.filter((record) => record.error === null).length;
    const fraction = now.byCount !== null
      ? measured.length / Math.max(1, now.byCount)
      : now.measuringSinceMs === null ? 0 : Math.min(1, (elapsedMs - now.measuringSinceMs) / Math.max(1, now.durationMs ?? 1));
    const recentPerSecond = elapsedMs > lastAt ? ((completed - lastCompleted) * 1_000) / (elapsedMs - lastAt) : 0;
    lastCompleted = completed;
    lastAt = elapsedMs;
    const phase = now.measuringSinceMs === null ? 'warmup' : fraction >= 1 || (now.byCount !== null && now.started - (now.records.length - measured.length) >= now.byCount) ? 'draining' : 'measuring';
    report({
      phase, elapsedMs, started: now.started, done: now.records.length, inFlight: now.inFlight, completed, failed: measured.length - completed,
      target: now.byCount, fraction: Math.min(1, fraction), recentPerSecond: Math.round(recentPerSecond * 10) / 10,
    });
  };
  const timer = setInterval(tick, options.progressEveryMs ?? 500);
  return { stop: () => { clearInterval(timer); tick(); } };
}
