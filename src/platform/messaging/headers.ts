/** Headers paysaga adds when a record is retried, dead-lettered or replayed. */
export const RetryHeaders = {
  attempt: 'paysaga-attempt',
  notBefore: 'paysaga-not-before',
  originalTopic: 'paysaga-original-topic',
  originalPartition: 'paysaga-original-partition',
  originalOffset: 'paysaga-original-offset',
  error: 'paysaga-error',
  deadLetterReason: 'paysaga-dlq-reason',
  replayedFrom: 'paysaga-replayed-from',
} as const;

const failureHeaderNames = new Set<string>(Object.values(RetryHeaders));

/** The headers of a record with every retry/dead-letter header removed: what a replay publishes. */
export function withoutFailureHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !failureHeaderNames.has(name)));
}
