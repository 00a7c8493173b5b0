import type { SimulatorState } from './simulator-state.ts';
import type { StripeObject } from './stripe-objects.ts';
import type { GatewaySimulatorStats } from './types.ts';

/** What an operation needs: the objects, where receipts and 3DS pages live, the counters, and a way to record events. */
export interface OperationContext {
  readonly state: SimulatorState;
  /** http://HOST:PORT of this simulator. */
  readonly baseUrl: string;
  readonly stats: GatewaySimulatorStats;
  /** Records an event with a snapshot of `object` (and hands it to webhook delivery). */
  emit(type: string, object: StripeObject): void;
}
