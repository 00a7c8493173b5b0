import type { Logger } from '../../observability/logger.ts';

export interface KafkaTransportOptions {
  /** host:port list, e.g. ['127.0.0.1:9092'] (KAFKA_BROKERS). */
  brokers: string[];
  clientId: string;
  /** Consumer session timeout: how long a dead member keeps its partitions. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits for new records before returning empty. */
  maxWaitTimeMs?: number;
  /** Request timeout of every client call. */
  requestTimeoutMs?: number;
  /** How long a subscription keeps retrying its first group join (a broker just started has no coordinator yet) before it fails. */
  startTimeoutMs?: number;
  /** The transport's own client errors (closing, readiness pings); subscriptions log through their subscriber's logger. */
  logger?: Logger;
}

export const KAFKA_DEFAULTS = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  maxWaitTimeMs: 500,
  requestTimeoutMs: 10_000,
  startTimeoutMs: 60_000,
  /** Longest one produce (its retries included) may take before the producer counts as wedged and is replaced. */
  publishTimeoutMs: 30_000,
} as const;
