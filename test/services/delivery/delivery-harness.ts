import { createDeliveryService, type DeliveryService, type DeliveryServiceOptions } from '../../../src/services/delivery/delivery-service.ts';
import { openServiceHarness, type HarnessOptions, type ServiceHarness } from './service-harness.ts';

/** The delivery service on a real broker and PostgreSQL (or the embedded pair). */
export function openDeliveryHarness(options: HarnessOptions & Pick<DeliveryServiceOptions, 'isDeliverable'> = {}): Promise<ServiceHarness<DeliveryService>> {
  return openServiceHarness((base) => createDeliveryService({
    ...base, relayPollIntervalMs: 50, ...(options.isDeliverable ? { isDeliverable: options.isDeliverable } : {}),
    retry: { inPlaceAttempts: 2, inPlaceDelayMs: 10, delayedAttempts: 1, initialDelayMs: 100, maxDelayMs: 200 },
  }), { tapTopics: ['delivery.created', 'delivery.updated'], ...options });
}
