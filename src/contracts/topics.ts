/** Delayed-retry and dead-letter topics are derived, never declared by hand (SPEC §2). */
export const retryTopicOf = (topic: string): string => `${topic}.retry`;
export const deadLetterTopicOf = (topic: string): string => `${topic}.dlq`;

export function isDerivedTopic(topic: string): boolean {
  return topic.endsWith('.retry') || topic.endsWith('.dlq');
}

/** The topic a retry or dead-letter topic stands for. */
export function baseTopicOf(topic: string): string {
  return topic.replace(/\.(retry|dlq)$/, '');
}

/** Every topic paysaga creates for a set of base topics: each one, its retry topic and its dead-letter topic. */
export function withDerivedTopics(topics: readonly string[]): string[] {
  return topics.flatMap((topic) => [topic, retryTopicOf(topic), deadLetterTopicOf(topic)]);
}
