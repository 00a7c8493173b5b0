import { Counter, Gauge, Registry } from 'prom-client';
import type { GatewaySimulatorStats } from './types.ts';

/** The simulator's stats as Prometheus metrics (its own registry), so `paysaga up`'s gateway process has a /metrics like the others. */
export function simulatorMetrics(stats: () => GatewaySimulatorStats): Registry {
  const registry = new Registry();
  const registers = [registry];
  const counter = (name: string, help: string, read: (current: GatewaySimulatorStats) => number): void => {
    new Counter({ name, help, registers, collect() { this.reset(); this.inc(read(stats())); } });
  };
  counter('paysaga_simulator_requests_total', 'API requests the simulator answered', (current) => current.requests);
  counter('paysaga_simulator_intents_created_total', 'PaymentIntents created', (current) => current.intentsCreated);
  counter('paysaga_simulator_refunds_created_total', 'Refunds created', (current) => current.refundsCreated);
  counter('paysaga_simulator_events_created_total', 'Events created', (current) => current.eventsCreated);
  counter('paysaga_simulator_webhook_attempts_total', 'Webhook delivery attempts', (current) => current.webhookAttempts);
  counter('paysaga_simulator_webhooks_delivered_total', 'Webhooks delivered (2xx)', (current) => current.webhooksDelivered);
  counter('paysaga_simulator_webhooks_failed_total', 'Webhooks given up after every attempt', (current) => current.webhooksFailed);
  new Gauge({ name: 'paysaga_simulator_webhooks_pending', help: 'Webhooks waiting for delivery', registers, collect() { this.set(stats().webhooksPendingDelivery); } });
  new Counter({
    name: 'paysaga_simulator_faults_injected_total', help: 'Faults injected, by kind (errors, timeouts, duplicates, dropped)', labelNames: ['kind'], registers,
    collect() {
      this.reset();
      for (const [kind, count] of Object.entries(stats().faultsInjected)) this.inc({ kind }, count);
    },
  });
  return registry;
}
