import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import { requireRole } from './auth.ts';

/** The series the dashboard charts: lag, throughput, saga outcomes, stuck sagas, money at risk, dead letters, the gateway. */
export const SUMMARY_METRICS: readonly string[] = [
  'paysaga_consumer_lag', 'payment_events_consumed_total', 'payment_events_published_total',
  'paysaga_sagas_started_total', 'paysaga_sagas_completed_total', 'paysaga_sagas_compensated_total', 'paysaga_sagas_failed_total',
  'paysaga_sagas_active', 'paysaga_sagas_stuck', 'paysaga_money_at_risk_minor_units', 'paysaga_dead_letters_pending',
  'paysaga_payment_outcomes_total', 'paysaga_gateway_calls_total', 'paysaga_circuit_breaker_state',
];

export interface MetricSample {
  /** The services of the process that reported it (a deployment's front door merges every process's samples). */
  services: string;
  name: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * GET /metrics/summary (admins): the dashboard's metrics as JSON — the same
 * values /metrics exposes to Prometheus, limited to the series it charts, so a
 * browser needs neither Prometheus nor a text-format parser. Lists merge
 * across services at the front door like any other shared GET.
 */
export function metricsSummaryRoute(http: FastifyInstance, metrics: PlatformMetrics, services: readonly string[]): void {
  http.get('/metrics/summary', {
    schema: { tags: ['dashboard'], querystring: Type.Object({}, { additionalProperties: false }), security: [{ bearer: [] }], summary: 'Admin: lag, throughput, saga outcomes, stuck sagas and money at risk as JSON' },
  }, async (request) => {
    requireRole(request, 'admin');
    const wanted = new Set(SUMMARY_METRICS);
    const samples: MetricSample[] = [];
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      if (!wanted.has(metric.name)) continue;
      for (const value of metric.values) samples.push({ services: services.join(','), name: metric.name, labels: { ...value.labels } as Record<string, string | number>, value: value.value });
    }
    return { at: new Date().toISOString(), samples };
  });
}
