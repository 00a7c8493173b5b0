import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME says otherwise. */
  serviceName: string;
  /** Tests pass an in-memory exporter's processor; otherwise OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_* decide. */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for this process: the SDK registers the global
 * tracer provider, the async-local context and the W3C trace-context
 * propagator, and reads every other setting from the standard OTEL_*
 * variables. No automatic instrumentation: paysaga opens its own spans (HTTP
 * through @fastify/otel, the transport, the database, saga steps).
 */
export function startTracing(options: TracingOptions): Tracing {
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
