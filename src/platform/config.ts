/** Runtime configuration, from the environment (distributed mode) with embedded-mode defaults. */
export interface PlatformConfig {
  /** Kafka brokers; empty means the in-process transport (embedded mode). */
  kafkaBrokers: string[];
  /** postgres://… or pglite://memory | pglite://<dir>. */
  databaseUrl: string;
  /** DATABASE_MAX_CONNECTIONS: this process's PostgreSQL pool size; every process of a deployment counts against the server's max_connections. */
  databaseMaxConnections: number;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number | null;
  httpPort: number;
  /** Loopback by default; set HTTP_HOST=0.0.0.0 to serve beyond this machine. */
  httpHost: string;
  /** PAYSAGA_NAMESPACE: prefixes topics, consumer groups and schemas, so several deployments share one Kafka and one PostgreSQL. */
  namespace: string | null;
}

export function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? '').split(',').map((broker) => broker.trim()).filter(Boolean),
    databaseUrl: env.DATABASE_URL ?? 'pglite://memory',
    databaseMaxConnections: positiveInteger('DATABASE_MAX_CONNECTIONS', env.DATABASE_MAX_CONNECTIONS, 10),
    partitions: positiveInteger('KAFKA_PARTITIONS', env.KAFKA_PARTITIONS, 3),
    replicationFactor: positiveInteger('KAFKA_REPLICATION_FACTOR', env.KAFKA_REPLICATION_FACTOR, 1),
    minInsyncReplicas: env.KAFKA_MIN_INSYNC_REPLICAS ? positiveInteger('KAFKA_MIN_INSYNC_REPLICAS', env.KAFKA_MIN_INSYNC_REPLICAS, 1) : null,
    httpPort: positiveInteger('PORT', env.PORT, 3000),
    httpHost: env.HTTP_HOST ?? '127.0.0.1',
    namespace: env.PAYSAGA_NAMESPACE || null,
  };
}
