import { randomBytes } from 'node:crypto';
import { KafkaTransport } from '../../src/platform/messaging/kafka/kafka-transport.ts';
import { NamespacedTransport } from '../../src/platform/messaging/namespaced-transport.ts';
import type { Transport } from '../../src/platform/messaging/transport.ts';

/** Brokers the test runner started (or the ones given in KAFKA_BROKERS). Never skips: a missing broker fails the test. */
export function kafkaBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run the suite with `npm test`, which starts Kafka (scripts/kafka.sh)');
  return brokers.split(',').map((broker) => broker.trim()).filter(Boolean);
}

export function postgresUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/**
 * Secrets for a test deployment: outside embedded mode paysaga refuses to start
 * without AUTH_SECRET, STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET of its own.
 */
export function testSecrets(): { AUTH_SECRET: string; STRIPE_API_KEY: string; STRIPE_WEBHOOK_SECRET: string } {
  return {
    AUTH_SECRET: `paysaga-test-${randomBytes(24).toString('hex')}`,
    STRIPE_API_KEY: `sk_test_${randomBytes(12).toString('hex')}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(12).toString('hex')}`,
  };
}

/** A name no other test (or earlier run) uses: tests share one broker and one database. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Polls until `check` returns a value (not undefined/false), or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/**
 * Polls many things with one poller: each pass checks every key not yet settled, one after another,
 * then waits `intervalMs`. A poller per key (eventually() in a Promise.all) multiplies the load on
 * the system under test by the number of keys, and slows down the very thing it waits for.
 */
export async function settleAll<T>(keys: readonly string[], check: (key: string) => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 250): Promise<Map<string, T>> {
  const deadline = Date.now() + timeoutMs;
  const settled = new Map<string, T>();
  const errors = new Map<string, unknown>();
  while (settled.size < keys.length) {
    for (const key of keys) {
      if (settled.has(key)) continue;
      try {
        const value = await check(key);
        if (value !== undefined && value !== false) settled.set(key, value);
      } catch (error) {
        errors.set(key, error); // not logged: kept and reported with the timeout
      }
    }
    if (settled.size === keys.length) break;
    if (Date.now() >= deadline) {
      const waiting = keys.filter((key) => !settled.has(key));
      const last = errors.get(waiting[0] ?? '');
      throw new Error(`timed out after ${timeoutMs} ms: ${waiting.length} of ${keys.length} not settled (first: ${waiting[0]})${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return settled;
}

/**
 * A Kafka transport in a namespace of its own: a test's topics and groups are
 * `<namespace>.<topic>` on the shared broker, so no other test (or earlier
 * run) ever sees its commands or answers them.
 */
export function isolatedKafkaTransport(label: string): Promise<Transport> {
  return Promise.resolve(new NamespacedTransport(new KafkaTransport({ brokers: kafkaBrokers(), clientId: uniqueName(label), sessionTimeoutMs: 6_000 }), uniqueName(label)));
}
