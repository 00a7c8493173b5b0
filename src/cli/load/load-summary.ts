import type { ErrorKind, SagaKind, SagaOutcome, SagaRecord } from './saga-flows.ts';

export interface Percentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** The figures of a run's measured sagas (warm-up left out). */
export interface LoadSummary {
  /** Measured sagas started, and those that reached the end their kind expects. */
  sagas: number;
  completed: number;
  /** Measured window: from the first measured saga's start to the last one's end (client clock). */
  windowMs: number;
  /** completed / window. */
  completedPerSecond: number;
  /** Checkout request → order CONFIRMED (declines: → saga end), from the sagas' own timestamps, ms. */
  e2eMs: Percentiles;
  /** The refund sagas (cancellations, refunds) from creation to end, ms. */
  followUpMs: Percentiles;
  /** Client-side latency per route pattern (every call, polls included), ms. */
  httpMs: Record<string, Percentiles & { statuses: Record<string, number> }>;
  outcomes: Partial<Record<SagaOutcome, number>>;
  kinds: Partial<Record<SagaKind, number>>;
  /** Sagas that did not reach their expected end, by the kind of trouble (503 with Retry-After is `overloaded-503`). */
  errors: Partial<Record<ErrorKind, number>>;
  /** A few error messages per kind, to say what went wrong. */
  errorSamples: Partial<Record<ErrorKind, string[]>>;
  /** Every 503 answer that carried Retry-After, counted by call (a shed checkout), whatever became of the saga. */
  overloadedCalls: number;
}

/** Nearest-rank percentiles of `values` (ms, rounded to 0.1). */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0);
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0), mean: round(sorted.reduce((sum, v) => sum + v, 0) / sorted.length) };
}

const round = (value: number): number => Math.round(value * 10) / 10;
const EXPECTED: Record<SagaKind, SagaOutcome> = { checkout: 'confirmed', decline: 'declined', cancel: 'refunded', 'full-refund': 'refunded', 'partial-refund': 'refunded' };

export function summarize(records: readonly SagaRecord[]): LoadSummary {
  const measured = records.filter((record) => !record.warmup);
  const completed = measured.filter((record) => record.outcome === EXPECTED[record.kind]);
  const first = Math.min(...measured.map((record) => record.startedAtMs));
  const last = Math.max(...measured.map((record) => record.endedAtMs));
  const windowMs = measured.length === 0 ? 0 : last - first;
  const count = <K extends string>(keys: K[]): Partial<Record<K, number>> => keys.reduce<Partial<Record<K, number>>>((acc, key) => ({ ...acc, [key]: (acc[key] ?? 0) + 1 }), {});
  const byRoute = new Map<string, { ms: number[]; statuses: Record<string, number> }>();
  let overloadedCalls = 0;
  for (const call of measured.flatMap((record) => record.calls)) {
    const entry = byRoute.get(call.route) ?? { ms: [], statuses: {} };
    entry.ms.push(call.ms);
    entry.statuses[String(call.status)] = (entry.statuses[String(call.status)] ?? 0) + 1;
    byRoute.set(call.route, entry);
    if (call.retryAfterSeconds !== undefined) overloadedCalls += 1;
  }
  const errorSamples: Partial<Record<ErrorKind, string[]>> = {};
  for (const record of measured) {
    if (!record.error) continue;
    const samples = errorSamples[record.error.kind] ?? [];
    if (samples.length < 3) samples.push(`${record.error.route ?? '-'}: ${record.error.message}`);
    errorSamples[record.error.kind] = samples;
  }
  return {
    sagas: measured.length, completed: completed.length, windowMs: round(windowMs),
    completedPerSecond: windowMs > 0 ? round(completed.length / (windowMs / 1_000)) : 0,
    e2eMs: percentiles(completed.flatMap((record) => (record.e2eMs === null ? [] : [record.e2eMs]))),
    followUpMs: percentiles(completed.flatMap((record) => (record.followUpMs === null ? [] : [record.followUpMs]))),
    httpMs: Object.fromEntries([...byRoute].map(([route, entry]) => [route, { ...percentiles(entry.ms), statuses: entry.statuses }])),
    outcomes: count(measured.map((record) => record.outcome)),
    kinds: count(measured.map((record) => record.kind)),
    errors: count(measured.flatMap((record) => (record.error ? [record.error.kind] : []))),
    errorSamples, overloadedCalls,
  };
}
