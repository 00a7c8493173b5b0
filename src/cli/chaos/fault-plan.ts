import type { GatewayFaults } from '../../gateway/simulator/index.ts';
import { DEFAULT_FAULTS } from '../../gateway/simulator/index.ts';
import { sleep } from '../../platform/utils/sleep.ts';
import { SERVICE_NAMES, type ServiceName } from '../compose.ts';

/** What a fault may act on: the processes, the broker nodes, the database and the gateway of one chaos run. */
export interface FaultTargets {
  kill(service: ServiceName): Promise<void>;
  restart(service: ServiceName): Promise<void>;
  /** A second instance joins the service's consumer groups, then leaves (SIGTERM). */
  extraInstance(service: ServiceName): { join(): Promise<void>; leave(): Promise<void> };
  kafkaNodes: number;
  stopKafkaNode(node: number): Promise<void>;
  startKafkaNode(node: number): Promise<void>;
  restartPostgres(): Promise<void>;
  setGatewayFaults(faults: Partial<GatewayFaults>): void;
  /** Publishes undecodable records on every consumed topic; returns how many. */
  publishPoison(): Promise<number>;
  log(line: string): void;
}

export type FaultKind =
  | 'kill-service' | 'kill-two-services' | 'kafka-restart' | 'kafka-node-down' | 'postgres-restart'
  | 'gateway-5xx' | 'gateway-timeouts' | 'gateway-latency'
  | 'webhooks-duplicate' | 'webhooks-late' | 'webhooks-reordered' | 'poison-messages' | 'consumer-rebalance';

export interface Fault {
  kind: FaultKind;
  /** What exactly (the service, the node). */
  detail: string;
  inject(targets: FaultTargets): Promise<void>;
}

/** How long a fault lasts: a process or broker stays down, a gateway knob stays on, an extra instance stays in its group. */
export interface FaultTiming {
  downMs: number;
  windowMs: number;
}

function gatewayWindow(kind: FaultKind, detail: string, faults: Partial<GatewayFaults>, timing: FaultTiming): Fault {
  return {
    kind, detail,
    inject: async (targets) => {
      targets.setGatewayFaults(faults);
      await sleep(timing.windowMs);
      targets.setGatewayFaults(DEFAULT_FAULTS);
    },
  };
}

const killOne = (service: ServiceName, timing: FaultTiming): Fault => ({
  kind: 'kill-service', detail: service,
  inject: async (targets) => {
    await targets.kill(service);
    await sleep(timing.downMs);
    await targets.restart(service);
  },
});

/**
 * The whole plan, in order: kill -9 each service in turn and two at once,
 * the broker (every node) down and up, one node of three down, PostgreSQL
 * restarted (immediate: a crash and WAL recovery), gateway 5xx / timeouts /
 * latency, duplicate, late and reordered webhooks, poison on every consumed
 * topic, and a second instance of the busiest services joining and leaving
 * their consumer groups mid-load.
 */
export function fullFaultPlan(timing: FaultTiming, kafkaNodes: number): Fault[] {
  const plan: Fault[] = [
    ...SERVICE_NAMES.map((service) => killOne(service, timing)),
    {
      kind: 'kill-two-services', detail: 'payment+saga',
      inject: async (targets) => {
        await Promise.all([targets.kill('payment'), targets.kill('saga')]);
        await sleep(timing.downMs);
        await Promise.all([targets.restart('payment'), targets.restart('saga')]);
      },
    },
    {
      kind: 'kafka-restart', detail: `${kafkaNodes} node(s)`,
      inject: async (targets) => {
        for (let node = kafkaNodes; node >= 1; node -= 1) await targets.stopKafkaNode(node);
        await sleep(timing.downMs);
        // All at once: a node of a 3-node KRaft quorum cannot come up alone (it gives up registering with a controller quorum that needs 2).
        await Promise.all(Array.from({ length: kafkaNodes }, (_, index) => targets.startKafkaNode(index + 1)));
      },
    },
    {
      kind: 'postgres-restart', detail: 'immediate',
      inject: async (targets) => { await targets.restartPostgres(); },
    },
    gatewayWindow('gateway-5xx', 'errorRate 0.3', { errorRate: 0.3 }, timing),
    gatewayWindow('gateway-timeouts', 'timeoutRate 0.2, held 3 s', { timeoutRate: 0.2, timeoutHoldMs: 3_000 }, timing),
    gatewayWindow('gateway-latency', '400 ms + 0..400 ms', { latencyMs: 400, latencyJitterMs: 400 }, timing),
    gatewayWindow('webhooks-duplicate', 'webhookDuplicateRate 0.5', { webhookDuplicateRate: 0.5 }, timing),
    gatewayWindow('webhooks-late', 'webhookDelayMs 4000', { webhookDelayMs: 4_000 }, timing),
    gatewayWindow('webhooks-reordered', 'shuffled in 500 ms windows', { webhookOutOfOrder: true, webhookBatchWindowMs: 500 }, timing),
    {
      kind: 'poison-messages', detail: 'every consumed topic',
      inject: async (targets) => { targets.log(`  ${await targets.publishPoison()} poison records published`); },
    },
    ...(['inventory', 'payment', 'saga'] as const).map((service): Fault => ({
      kind: 'consumer-rebalance', detail: service,
      inject: async (targets) => {
        const extra = targets.extraInstance(service);
        await extra.join();
        await sleep(timing.windowMs);
        await extra.leave();
      },
    })),
  ];
  if (kafkaNodes >= 3) {
    plan.splice(8, 0, {
      kind: 'kafka-node-down', detail: 'node 2 of 3',
      inject: async (targets) => {
        await targets.stopKafkaNode(2);
        await sleep(timing.downMs * 2);
        await targets.startKafkaNode(2);
      },
    });
  }
  return plan;
}

/** The CI variant's plan: one of each family, so every kind of machinery is exercised in a few minutes. */
export function ciFaultPlan(timing: FaultTiming, kafkaNodes: number): Fault[] {
  const wanted = new Set(['kill-service:payment', 'kill-service:saga', 'kill-two-services', 'kafka-restart', 'kafka-node-down', 'postgres-restart', 'gateway-5xx', 'gateway-timeouts',
    'webhooks-duplicate', 'webhooks-reordered', 'poison-messages', 'consumer-rebalance:inventory']);
  return fullFaultPlan(timing, kafkaNodes).filter((fault) => wanted.has(fault.kind) || wanted.has(`${fault.kind}:${fault.detail}`));
}
