// The settings of the retention pass (retention.ts), in a module of their own: config.ts reads them in every process,
// the gateway simulator's too, which has no database.

export interface RetentionPolicy {
  /** Published outbox rows (the audit pairs them with the consumers' inboxes). */
  outboxKeepMs: number;
  /**
   * Inbox rows: the window in which a redelivered event is still recognised. It must outlast every way an event can
   * come again (the topics' retention, for a group reset to the earliest offset) and the outbox's retention.
   */
  inboxKeepMs: number;
  /** Idempotency-Key answers (Stripe keeps its own at least 24 h). */
  idempotencyKeepMs: number;
  /** Pause between two passes. */
  intervalMs: number;
  /**
   * The database is PGlite, which has neither autovacuum nor a checkpointer: the pass vacuums the schema's tables
   * whose dead rows pile up, and checkpoints, so the WAL is recycled instead of growing to `max_wal_size`.
   */
  pglite: boolean;
}

const DAY_MS = 24 * 3_600_000;

/** Kafka's topics keep records 7 days (the broker's default): an inbox kept 8 days still knows every redelivery. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  outboxKeepMs: 3_600_000, inboxKeepMs: 8 * DAY_MS, idempotencyKeepMs: DAY_MS, intervalMs: 60_000, pglite: false,
};
