import type { GatewayFaults } from './types.ts';

export const DEFAULT_FAULTS: Readonly<GatewayFaults> = Object.freeze({
  latencyMs: 0,
  latencyJitterMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  timeoutHoldMs: 30_000,
  webhookDuplicateRate: 0,
  webhookOutOfOrder: false,
  webhookBatchWindowMs: 50,
  webhookDropRate: 0,
  webhookDelayMs: 0,
});

type FaultKind = 'rate' | 'duration' | 'flag';

const FAULT_KINDS: Record<keyof GatewayFaults, FaultKind> = {
  latencyMs: 'duration',
  latencyJitterMs: 'duration',
  errorRate: 'rate',
  timeoutRate: 'rate',
  timeoutHoldMs: 'duration',
  webhookDuplicateRate: 'rate',
  webhookOutOfOrder: 'flag',
  webhookBatchWindowMs: 'duration',
  webhookDropRate: 'rate',
  webhookDelayMs: 'duration',
};

/** A fault setting that is out of range or of the wrong type; `param` names it. */
export class InvalidFaultError extends Error {
  override name = 'InvalidFaultError';
  readonly param: string;

  constructor(param: string, message: string) {
    super(message);
    this.param = param;
  }
}

function isFaultName(name: string): name is keyof GatewayFaults {
  return Object.hasOwn(FAULT_KINDS, name);
}

/**
 * Checks an untrusted partial fault setting (from the control API, the CLI or
 * code) and returns it typed; throws InvalidFaultError naming the bad field.
 */
export function parseFaultsPatch(input: unknown): Partial<GatewayFaults> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidFaultError('faults', 'faults must be a JSON object');
  }
  const patch: Partial<Record<keyof GatewayFaults, number | boolean>> = {};
  for (const [name, value] of Object.entries(input)) {
    if (!isFaultName(name)) throw new InvalidFaultError(name, `unknown fault setting: ${name}`);
    const kind = FAULT_KINDS[name];
    if (kind === 'flag') {
      if (typeof value !== 'boolean') throw new InvalidFaultError(name, `${name} must be true or false`);
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidFaultError(name, `${name} must be a number`);
    } else if (kind === 'rate' && (value < 0 || value > 1)) {
      throw new InvalidFaultError(name, `${name} must be between 0 and 1, got ${value}`);
    } else if (kind === 'duration' && value < 0) {
      throw new InvalidFaultError(name, `${name} must be 0 or more milliseconds, got ${value}`);
    }
    patch[name] = value;
  }
  return patch as Partial<GatewayFaults>;
}

/** True with probability `rate`; draws nothing when the knob is off, so injected sequences stay predictable. */
export function roll(rate: number, random: () => number): boolean {
  return rate > 0 && random() < rate;
}
