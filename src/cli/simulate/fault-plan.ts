import type { SeededRandom } from '../../platform/simulation/seeded-random.ts';

/** How often each fault is chosen while the sagas run (each seed draws its own mix). */
export interface FaultPlan {
  /** A handler's effects commit but the consumer dies before its offset does: the record comes again. */
  crashAfterEffects: number;
  /** An already committed record is handed out again (Kafka's at-least-once). */
  duplicateDelivery: number;
  /** A consumer group's member leaves and a new one takes its partitions. */
  rebalance: number;
  /** Every service's process dies and restarts on the same database. */
  restart: number;
  /** The virtual clock jumps (deadlines, retry due times). */
  delay: number;
  /** A gateway webhook is delivered and kept to be delivered again. */
  duplicateWebhook: number;
  /** A gateway webhook is dropped: Stripe would give up; the reconciler must find the outcome. */
  droppedWebhook: number;
  /** Share of gateway API requests answered 500 without executing. */
  gatewayErrorRate: number;
  /** Share of gateway API requests that execute but whose answer is lost. */
  gatewayTimeoutRate: number;
}

/** A seed's fault mix: every kind on, at a rate drawn around a typical value, so seeds explore different mixes. */
export function drawFaultPlan(random: SeededRandom): FaultPlan {
  const around = (typical: number): number => typical * (0.25 + random.next() * 1.5);
  return {
    crashAfterEffects: around(0.05),
    duplicateDelivery: around(0.05),
    rebalance: around(0.01),
    restart: around(0.002),
    delay: around(0.04),
    duplicateWebhook: around(0.15),
    droppedWebhook: around(0.04),
    gatewayErrorRate: around(0.06),
    gatewayTimeoutRate: around(0.01),
  };
}

export type FaultKind =
  | 'crash-after-effects' | 'duplicate-delivery' | 'reorder' | 'rebalance' | 'restart' | 'delay'
  | 'duplicate-webhook' | 'late-webhook' | 'dropped-webhook' | 'gateway-error' | 'gateway-timeout' | 'handler-rejected'
  /** Not a fault but a delivery shape, counted with them: a run of a partition's records handed to a batch handler at once. */
  | 'batch';
