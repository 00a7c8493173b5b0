import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PaymentCancelled, PaymentCompleted, PaymentFailed, PaymentRefunded } from '../../contracts/events/payment.ts';
import type { ConsumerObserver } from '../messaging/message-consumer.ts';
import type { OutgoingRecord } from '../messaging/transport.ts';

/** What a published payment event says about a payment's outcome (the seeds' success and refund rates). */
const PAYMENT_OUTCOMES = new Map<string, { topic: string; outcome: 'succeeded' | 'failed' | 'cancelled' | 'refunded' }>([
  [PaymentCompleted.type, { topic: PaymentCompleted.topic, outcome: 'succeeded' }],
  [PaymentFailed.type, { topic: PaymentFailed.topic, outcome: 'failed' }],
  [PaymentCancelled.type, { topic: PaymentCancelled.topic, outcome: 'cancelled' }],
  [PaymentRefunded.type, { topic: PaymentRefunded.topic, outcome: 'refunded' }],
]);

const PROCESSING_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The seeds' event metrics (names kept as the seed wrote them) and the
 * payment outcomes derived from what the outbox relay published: counted once
 * the relay's transaction committed, so a rolled-back handler counts nothing.
 */
export class MessageMetrics {
  readonly published: Counter<'topic' | 'type'>;
  readonly consumed: Counter<'group' | 'topic' | 'type'>;
  readonly redelivered: Counter<'group' | 'topic'>;
  readonly processing: Histogram<'group' | 'topic'>;
  readonly failures: Counter<'group' | 'topic' | 'outcome'>;
  readonly paymentOutcomes: Counter<'outcome'>;
  readonly #outcomeCounts = new Map<string, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.published = new Counter({ name: 'payment_events_published_total', help: 'Records published by the outbox relay, by topic and event type', labelNames: ['topic', 'type'], registers });
    this.consumed = new Counter({ name: 'payment_events_consumed_total', help: 'Events a consumer group handled (committed), by topic and event type', labelNames: ['group', 'topic', 'type'], registers });
    this.redelivered = new Counter({ name: 'paysaga_events_redelivered_total', help: 'Redelivered events the inbox recognised and skipped', labelNames: ['group', 'topic'], registers });
    this.processing = new Histogram({
      name: 'payment_event_processing_duration_seconds', help: 'Time to handle one event, its transaction included', labelNames: ['group', 'topic'], buckets: PROCESSING_BUCKETS, registers,
    });
    this.failures = new Counter({
      name: 'payment_event_failures_total', help: 'Events whose handler failed every in-place attempt: sent to the delayed-retry topic (retry_scheduled) or dead-lettered (dead_lettered)',
      labelNames: ['group', 'topic', 'outcome'], registers,
    });
    this.paymentOutcomes = new Counter({ name: 'paysaga_payment_outcomes_total', help: 'Payments that reached an outcome (succeeded, failed, cancelled) and refunds done (refunded)', labelNames: ['outcome'], registers });
    const ratio = (numerator: string, denominators: string[]) => (): number => {
      const total = denominators.reduce((sum, outcome) => sum + (this.#outcomeCounts.get(outcome) ?? 0), 0);
      return total === 0 ? 0 : (this.#outcomeCounts.get(numerator) ?? 0) / total;
    };
    const successRate = ratio('succeeded', ['succeeded', 'failed']);
    const refundRate = ratio('refunded', ['succeeded']);
    new Gauge({ name: 'payment_success_rate', help: 'Share of payments with an outcome that succeeded, since this process started (use rate() of paysaga_payment_outcomes_total for a window)', registers, collect() { this.set(successRate()); } });
    new Gauge({ name: 'payment_refund_rate', help: 'Refunds per succeeded payment, since this process started', registers, collect() { this.set(refundRate()); } });
  }

  /** Called by the outbox relay once a batch is published and marked. */
  readonly recordPublished = (records: readonly OutgoingRecord[]): void => {
    for (const record of records) {
      const type = record.headers['paysaga-type'] ?? 'unknown';
      this.published.inc({ topic: record.topic, type });
      const outcome = PAYMENT_OUTCOMES.get(type);
      if (outcome?.topic === record.topic) {
        this.paymentOutcomes.inc({ outcome: outcome.outcome });
        this.#outcomeCounts.set(outcome.outcome, (this.#outcomeCounts.get(outcome.outcome) ?? 0) + 1);
      }
    }
  };

  /** The consumer pipeline's observer for one group. */
  consumerObserver(group: string): ConsumerObserver {
    return {
      handled: (record, envelope, durationMs) => {
        this.consumed.inc({ group, topic: record.topic, type: envelope.type });
        this.processing.observe({ group, topic: record.topic }, durationMs / 1_000);
      },
      duplicate: (record) => { this.redelivered.inc({ group, topic: record.topic }); },
      retried: (record) => { this.failures.inc({ group, topic: record.topic, outcome: 'retry_scheduled' }); },
      deadLettered: (record) => { this.failures.inc({ group, topic: record.topic, outcome: 'dead_lettered' }); },
    };
  }
}
