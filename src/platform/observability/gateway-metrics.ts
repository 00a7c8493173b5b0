import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;

/** What the payment gateway adapter tells of each logical call (its retries included). */
export interface GatewayCallObserver {
  called(operation: string, outcome: 'ok' | 'unavailable' | 'unknown_outcome' | 'rejected', durationMs: number): void;
}

const GATEWAY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Gateway calls by operation and outcome, and the state of each circuit breaker (1 on the current state). */
export class GatewayMetrics {
  readonly calls: Counter<'operation' | 'outcome'>;
  readonly duration: Histogram<'operation'>;
  readonly #breakers = new Map<string, () => string>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.calls = new Counter({
      name: 'paysaga_gateway_calls_total', help: 'Card gateway calls by operation and outcome (ok, rejected, unknown_outcome, unavailable: breaker open, nothing sent)',
      labelNames: ['operation', 'outcome'], registers,
    });
    this.duration = new Histogram({ name: 'paysaga_gateway_call_duration_seconds', help: 'Card gateway call time, retries included, by operation', labelNames: ['operation'], buckets: GATEWAY_BUCKETS, registers });
    const breakers = this.#breakers;
    new Gauge({
      name: 'paysaga_circuit_breaker_state', help: 'Circuit breaker state: 1 on the current state (closed, open, half-open, isolated), 0 on the others', labelNames: ['breaker', 'state'], registers,
      collect() {
        this.reset();
        for (const [breaker, stateOf] of breakers) {
          const current = stateOf();
          for (const state of BREAKER_STATES) this.set({ breaker, state }, state === current ? 1 : 0);
        }
      },
    });
  }

  readonly observer: GatewayCallObserver = {
    called: (operation, outcome, durationMs) => {
      this.calls.inc({ operation, outcome });
      this.duration.observe({ operation }, durationMs / 1_000);
    },
  };

  watchBreaker(name: string, state: () => string): void {
    this.#breakers.set(name, state);
  }

  /** Each breaker's current state (readiness). */
  breakerStates(): Record<string, string> {
    return Object.fromEntries([...this.#breakers].map(([name, state]) => [name, state()]));
  }
}
