import type { EventLog } from './event-log.ts';
import type { ParamObject } from './form-params.ts';
import type { OperationContext } from './operation-context.ts';
import type { RoutePattern } from './router.ts';
import type { SimulatorState } from './simulator-state.ts';
import type { StripeObject } from './stripe-objects.ts';

export interface ApiContext extends OperationContext {
  readonly events: EventLog;
}

export interface ApiResult {
  status: number;
  body: unknown;
}

/**
 * One `/v1` endpoint. `prepare` validates the parameters — throwing a 400
 * before anything runs, which is why a validation failure never stores an
 * idempotent result — and returns the execution, which may change state.
 */
export interface ApiRoute extends RoutePattern {
  method: 'GET' | 'POST';
  prepare(params: ParamObject, pathParams: Record<string, string>): (ctx: ApiContext) => ApiResult;
}

export function ok(body: unknown): ApiResult {
  return { status: 200, body };
}

/** A copy of `object` with the `expand[]` fields (ids) replaced by the objects they name. */
export function expanded(object: StripeObject, fields: readonly string[], state: SimulatorState): unknown {
  if (fields.length === 0) return object;
  const copy: Record<string, unknown> = { ...object };
  for (const field of fields) {
    const id = copy[field];
    if (typeof id === 'string') copy[field] = state.lookup(id) ?? id;
  }
  return copy;
}
