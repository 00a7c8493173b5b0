import type { LevelWithSilent } from 'pino';

const LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ObservabilitySettings {
  /** LOG_LEVEL: fatal, error, warn, info (default), debug, trace or silent. */
  logLevel: LevelWithSilent;
  /**
   * Whether to start the OpenTelemetry SDK: off unless a trace exporter or an OTLP endpoint is named
   * (OTEL_TRACES_EXPORTER other than `none`, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
   * and never with OTEL_SDK_DISABLED=true. Everything else is the SDK's own reading of the OTEL_* variables.
   */
  tracing: boolean;
}

function isLevel(value: string): value is LevelWithSilent {
  return (LEVELS as readonly string[]).includes(value);
}

/**
 * The one place LOG_LEVEL and the OTEL_* switch are read, so the platform's
 * configuration schema can take them over in one edit.
 */
export function observabilitySettings(env: NodeJS.ProcessEnv = process.env): ObservabilitySettings {
  const level = (env.LOG_LEVEL ?? 'info').trim().toLowerCase() || 'info';
  if (!isLevel(level)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  const named = (exporter !== undefined && exporter !== '' && exporter !== 'none')
    || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT) || Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  return { logLevel: level, tracing: named && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true' && exporter !== 'none' };
}
