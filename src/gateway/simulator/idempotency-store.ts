/** The answer Stripe stored for a key, replayed byte for byte. */
export interface StoredResponse {
  status: number;
  body: string;
  requestId: string;
}

interface Entry {
  endpoint: string;
  fingerprint: string;
  response: StoredResponse | null; // null while the first request is still executing
  claimedAt: number;
}

export interface IdempotencyStoreOptions {
  /** Stripe keeps keys at least 24 hours; an older key is treated as new. */
  ttlMs?: number;
  /** Oldest finished keys are forgotten beyond this many, so a long load run cannot exhaust memory. */
  maxEntries?: number;
  now?: () => number;
}

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in-use' }
  | { kind: 'mismatch'; endpoint: string };

/**
 * Stripe's idempotency keys: scoped to the API key; the first request claims
 * the key, and once its endpoint has executed its status and body are stored
 * and replayed for the same endpoint and parameters. claim() is synchronous, so
 * in a single-threaded process two requests can never both claim one key.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: IdempotencyStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  claim(apiKey: string, key: string, endpoint: string, fingerprint: string): ClaimResult {
    const scoped = `${apiKey}\u0000${key}`;
    let entry = this.entries.get(scoped);
    if (entry !== undefined && entry.response !== null && this.isExpired(entry)) {
      this.entries.delete(scoped);
      entry = undefined;
    }
    if (entry === undefined) {
      this.prune();
      this.entries.set(scoped, { endpoint, fingerprint, response: null, claimedAt: this.now() });
      return { kind: 'claimed' };
    }
    if (entry.endpoint !== endpoint || entry.fingerprint !== fingerprint) return { kind: 'mismatch', endpoint: entry.endpoint };
    if (entry.response === null) return { kind: 'in-use' };
    return { kind: 'replay', response: entry.response };
  }

  /** The endpoint executed: keep its answer for every retry with this key. */
  complete(apiKey: string, key: string, response: StoredResponse): void {
    const entry = this.entries.get(`${apiKey}\u0000${key}`);
    if (entry !== undefined) entry.response = response;
  }

  /** Forgets the oldest keys (Map order is claim order) once expired or over the cap; an executing key is kept. */
  private prune(): void {
    for (const [scoped, entry] of this.entries) {
      if (entry.response === null || (!this.isExpired(entry) && this.entries.size < this.maxEntries)) break;
      this.entries.delete(scoped);
    }
  }

  private isExpired(entry: Entry): boolean {
    return entry.claimedAt <= this.now() - this.ttlMs;
  }

  /** Nothing executed (validation failure, injected 500): forget the key so a retry runs afresh. */
  release(apiKey: string, key: string): void {
    const scoped = `${apiKey}\u0000${key}`;
    if (this.entries.get(scoped)?.response === null) this.entries.delete(scoped);
  }
}
