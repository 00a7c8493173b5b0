import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { ChangeFeed } from '../changes/change-feed.ts';
import type { Logger } from '../observability/logger.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import { changeStreamRoute } from './change-stream-route.ts';
import { dashboardAssetRoutes } from './dashboard-assets.ts';
import { metricsSummaryRoute } from './metrics-summary-route.ts';

export interface OperatorRoutesOptions {
  db: Kysely<unknown>;
  metrics: PlatformMetrics;
  /** Each service of this process and its database schema. */
  serviceSchemas: ReadonlyMap<string, string>;
  logger: Logger;
  /** How often the change feed reads its tables while the stream has listeners. */
  changePollMs?: number;
}

/**
 * What the operator's dashboard needs from every process: its page
 * (/dashboard), the live change stream of this process's sagas and dead
 * letters, and the metrics it charts as JSON.
 */
export async function operatorRoutes(http: FastifyInstance, options: OperatorRoutesOptions): Promise<void> {
  const feed = new ChangeFeed({
    db: options.db, sagaSchema: options.serviceSchemas.get('saga') ?? null, deadLetterSchemas: options.serviceSchemas,
    logger: options.logger, ...(options.changePollMs === undefined ? {} : { pollMs: options.changePollMs }),
  });
  changeStreamRoute(http, feed);
  metricsSummaryRoute(http, options.metrics, [...options.serviceSchemas.keys()]);
  await dashboardAssetRoutes(http);
}
