import type { FastifyInstance } from 'fastify';
import type { Logger } from './logger.ts';
import type { PlatformMetrics } from './platform-metrics.ts';

export type ComponentStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthInputs {
  services: readonly string[];
  /** True once every service started (its consumer subscribed). */
  started(): boolean;
  transport: { kind: 'kafka' | 'in-process'; ping(): Promise<boolean> };
  /** Whether a trivial query succeeds. */
  database(): Promise<boolean>;
  metrics: PlatformMetrics;
  /** An unpublished outbox row older than this makes the process not ready. */
  outboxReadyMaxAgeMs: number;
  /** A failed check is a warning with its cause (the answer says only up or down). */
  logger: Logger;
}

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  ready: boolean;
  started: boolean;
  services: readonly string[];
  timestamp: string;
  /** One component per dependency, the seeds' `kafka.status` included (`transport` in embedded mode). */
  components: Record<string, { status: ComponentStatus } & Record<string, unknown>>;
}

/**
 * Checks every dependency of the process. Kafka (or the in-process transport),
 * the database, the consumers and the outbox decide readiness; an open
 * gateway breaker only degrades it: payments fail fast, but reads and
 * webhooks still work, and every instance shares the one gateway, so taking
 * them all out of service would turn a gateway outage into a full one.
 */
export async function checkHealth(inputs: HealthInputs): Promise<HealthReport> {
  const [transportUp, databaseUp, outboxes] = await Promise.all([
    inputs.transport.ping().catch((error: unknown) => { inputs.logger.warn({ err: error }, 'health: transport check failed'); return false; }),
    inputs.database().catch((error: unknown) => { inputs.logger.warn({ err: error }, 'health: database unreachable'); return false; }),
    inputs.metrics.outboxes(),
  ]);
  const started = inputs.started();
  const consumers = inputs.metrics.consumers();
  const maxAgeSeconds = inputs.outboxReadyMaxAgeMs / 1_000;
  const outboxOk = outboxes.every(({ state }) => state !== null && state.oldestAgeSeconds <= maxAgeSeconds);
  const breakers = inputs.metrics.gateway.breakerStates();
  const components: HealthReport['components'] = {
    [inputs.transport.kind === 'kafka' ? 'kafka' : 'transport']: { status: transportUp ? 'healthy' : 'unhealthy', kind: inputs.transport.kind },
    database: { status: databaseUp ? 'healthy' : 'unhealthy' },
    consumers: {
      status: started && consumers.every((consumer) => consumer.running) ? 'healthy' : 'unhealthy',
      groups: Object.fromEntries(consumers.map((consumer) => [consumer.group, consumer.running ? 'running' : 'stopped'])),
    },
    outbox: {
      status: outboxOk ? 'healthy' : 'unhealthy', maxAgeSeconds,
      oldestAgeSeconds: Object.fromEntries(outboxes.map(({ schema, state }) => [schema, state?.oldestAgeSeconds ?? null])),
    },
  };
  for (const [name, state] of Object.entries(breakers)) components[name] = { status: state === 'closed' ? 'healthy' : 'degraded', breaker: state };
  const statuses = Object.values(components).map((component) => component.status);
  const ready = started && !statuses.includes('unhealthy');
  return {
    status: statuses.includes('unhealthy') ? 'unhealthy' : statuses.includes('degraded') ? 'degraded' : 'healthy',
    ready, started, services: inputs.services, timestamp: new Date().toISOString(), components,
  };
}

/**
 * `/health/live` (the process answers), `/health/ready` (503 until every
 * dependency is fine: a load balancer's check) and `/health` (the seeds'
 * shape: a status and a component per dependency). Unauthenticated, like
 * /metrics: they tell nothing a caller could misuse.
 */
export function healthRoutes(server: FastifyInstance, inputs: HealthInputs): void {
  const hidden = { schema: { hide: true }, config: { auth: false } };
  server.get('/health/live', hidden, async () => ({ status: 'ok' }));
  server.get('/health/ready', hidden, async (_request, reply) => {
    const report = await checkHealth(inputs);
    const status = report.ready ? (report.status === 'degraded' ? 'degraded' : 'ready') : (report.started ? 'not ready' : 'starting');
    return reply.code(report.ready ? 200 : 503).send({ status, services: report.services, components: report.components });
  });
  server.get('/health', hidden, async (_request, reply) => {
    const report = await checkHealth(inputs);
    return reply.code(report.status === 'unhealthy' ? 503 : 200).send({ status: report.status, services: report.services, timestamp: report.timestamp, ...report.components });
  });
}

/** `/metrics`: the Prometheus text exposition, unauthenticated (protect it at the network, like the health routes). */
export function metricsRoute(server: FastifyInstance, metrics: PlatformMetrics): void {
  server.get('/metrics', { schema: { hide: true }, config: { auth: false } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
}
