/** One HTTP call the load driver made: which route (pattern, not URL), its status (0: no answer) and how long it took. */
export interface CallRecord {
  route: string;
  status: number;
  ms: number;
  /** Seconds from a 503's Retry-After header (overload shedding), else absent. */
  retryAfterSeconds?: number;
  /** Why there was no answer (network error, timeout), when status is 0. */
  failure?: string;
}

export interface TimedAnswer {
  status: number;
  body: Record<string, unknown>;
  record: CallRecord;
}

/**
 * JSON over HTTP with a per-call timeout, timing each call. Node's fetch
 * (undici) keeps connections alive per origin, so the client reuses sockets
 * and is not what limits the run.
 */
export class TimedHttp {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(baseUrl: string, options: { timeoutMs: number; signal?: AbortSignal }) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#signal = options.signal;
  }

  async call(route: string, method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<TimedAnswer> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal ? AbortSignal.any([this.#signal, timeout]) : timeout;
    try {
      const response = await fetch(`${this.#baseUrl}${path}`, {
        method, signal,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      const record: CallRecord = { route, status: response.status, ms: performance.now() - started };
      const retryAfter = response.headers.get('retry-after');
      if (response.status === 503 && retryAfter !== null && Number.isFinite(Number(retryAfter))) record.retryAfterSeconds = Number(retryAfter);
      return { status: response.status, body: parseObject(text), record };
    } catch (error) {
      // The answer is the record: a call that got no answer is counted by kind, never thrown past the saga.
      const failure = timeout.aborted ? `timeout after ${this.#timeoutMs} ms` : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { status: 0, body: {}, record: { route, status: 0, ms: performance.now() - started, failure } };
    }
  }
}

function parseObject(text: string): Record<string, unknown> {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : { value: parsed };
  } catch (error) {
    // A body that is not JSON (a proxy's error page) is kept as text for the error record.
    return { text: text.slice(0, 200), parseError: error instanceof Error ? error.message : String(error) };
  }
}
