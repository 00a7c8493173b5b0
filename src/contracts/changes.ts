/**
 * What the change stream (GET /changes/stream, Server-Sent Events) says, one
 * `change` frame each: the wire format shared by the process that feeds it and
 * the dashboard that reads it (which imports these types only, never code).
 */

/** A saga that changed: enough for a list row; the timeline is read from GET /sagas/:sagaId. */
export interface SagaChange {
  kind: 'saga';
  id: string;
  type: string;
  orderId: string;
  status: string;
  customerId: string | null;
  updatedAt: string;
}

/** A dead letter that arrived or changed status (replayed, resolved, discarded). */
export interface DeadLetterChange {
  kind: 'dead-letter';
  service: string;
  id: string;
  topic: string;
  reason: string;
  status: string;
  updatedAt: string;
}

export type Change = SagaChange | DeadLetterChange;
