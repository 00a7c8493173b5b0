import { murmur2 } from '@platformatic/kafka';

/**
 * Kafka's default (Java-compatible) key partitioner: murmur2 of the key bytes,
 * made positive, modulo the partition count. Both adapters use it, so a key maps
 * to the same partition in embedded mode, in paysaga on Kafka, and in any Java
 * or kcat producer writing to the same topics.
 */
export function partitionForKey(key: string, partitionCount: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitionCount;
}
