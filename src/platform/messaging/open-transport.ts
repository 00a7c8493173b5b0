import type { PlatformConfig } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { InProcessTransport } from './in-process/in-process-transport.ts';
import { KafkaTransport } from './kafka/kafka-transport.ts';
import { NamespacedTransport } from './namespaced-transport.ts';
import type { Transport } from './transport.ts';

/** Kafka when brokers are configured (distributed mode), the in-process log otherwise (embedded mode). */
export function openTransport(config: Pick<PlatformConfig, 'kafkaBrokers'> & Partial<Pick<PlatformConfig, 'namespace'>>, clientId: string, logger?: Logger): Transport {
  const transport = config.kafkaBrokers.length > 0 ? new KafkaTransport({ brokers: config.kafkaBrokers, clientId, ...(logger ? { logger } : {}) }) : new InProcessTransport();
  return config.namespace ? new NamespacedTransport(transport, config.namespace) : transport;
}

/** A service's schema in a namespace (`<namespace>_<schema>`), or the plain name. */
export function namespacedSchema(config: Partial<Pick<PlatformConfig, 'namespace'>>, schema: string): string {
  return config.namespace ? `${config.namespace.replaceAll('-', '_')}_${schema}` : schema;
}
