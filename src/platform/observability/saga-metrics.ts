import { Counter, Histogram, type Registry } from 'prom-client';
import type { SagaObserver } from '../saga/saga-engine.ts';

const SAGA_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600];
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/** Saga outcomes and durations, told by the saga engine once each transition committed. */
export class SagaMetrics {
  readonly started: Counter<'type'>;
  readonly completed: Counter<'type'>;
  readonly compensated: Counter<'type'>;
  readonly failed: Counter<'type'>;
  readonly duration: Histogram<'type' | 'outcome'>;
  readonly stepDuration: Histogram<'type' | 'step' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.started = new Counter({ name: 'paysaga_sagas_started_total', help: 'Sagas started, by saga type', labelNames: ['type'], registers });
    this.completed = new Counter({ name: 'paysaga_sagas_completed_total', help: 'Sagas that completed every step, by saga type', labelNames: ['type'], registers });
    this.compensated = new Counter({ name: 'paysaga_sagas_compensated_total', help: 'Sagas that failed and undid every completed step, by saga type', labelNames: ['type'], registers });
    this.failed = new Counter({ name: 'paysaga_sagas_failed_total', help: 'Sagas that ended FAILED: a step or compensation was given up on, or a refund was refused; needs an operator', labelNames: ['type'], registers });
    this.duration = new Histogram({ name: 'paysaga_saga_duration_seconds', help: 'Start to end of a saga, by type and outcome (completed, compensated, failed)', labelNames: ['type', 'outcome'], buckets: SAGA_BUCKETS, registers });
    this.stepDuration = new Histogram({
      name: 'paysaga_saga_step_duration_seconds', help: 'From a step\'s command (or its wait) to its answer, by saga type, step and outcome (succeeded, failed, timed_out, compensated)',
      labelNames: ['type', 'step', 'outcome'], buckets: STEP_BUCKETS, registers,
    });
  }

  readonly observer: SagaObserver = {
    started: (type) => { this.started.inc({ type }); },
    finished: (type, outcome, durationMs) => {
      ({ completed: this.completed, compensated: this.compensated, failed: this.failed })[outcome].inc({ type });
      this.duration.observe({ type, outcome }, durationMs / 1_000);
    },
    stepFinished: (type, step, outcome, durationMs) => { this.stepDuration.observe({ type, step, outcome }, durationMs / 1_000); },
  };
}
