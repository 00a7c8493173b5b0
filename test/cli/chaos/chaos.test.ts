import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatChaos } from '../../../src/cli/chaos-command.ts';
import { runChaos } from '../../../src/cli/chaos/chaos-run.ts';
import { freePort } from '../../support/ports.ts';

/**
 * The fault suite's CI variant (docs/reliability.md): distributed mode on a
 * private Kafka and PostgreSQL, a small bounded load, one fault of each
 * family (kill -9, two at once, the broker restarted, PostgreSQL crashed,
 * gateway 5xx and timeouts, duplicate and reordered webhooks, poison on every
 * topic, a rebalance), then the auditor: 0 violations. Every loop is bounded
 * by counts; the waits poll for conditions with generous limits.
 */
test('the fault suite (CI variant): faults of every family under load, then 0 violations', { timeout: 30 * 60_000 }, async () => {
  // A free block of ports: the run uses base … base + 45.
  const base = 20_000 + ((await freePort()) % 20_000);
  const lines: string[] = [];
  const result = await runChaos({
    sagas: 24, concurrency: 3, kafkaNodes: 1, plan: 'ci', minFaults: 0,
    timing: { downMs: 2_000, windowMs: 4_000 }, pauseMs: 2_000, basePort: base, settleTimeoutMs: 240_000,
    mix: { decline: 0.2, cancel: 0.15, fullRefund: 0.1, partialRefund: 0.1 },
    log: (line) => { lines.push(line); },
  });
  const summary = formatChaos(result);
  console.log(summary);
  assert.equal(result.audit.violations, 0, `${summary}\n${lines.slice(-40).join('\n')}`);
  assert.ok(result.settled, summary);
  assert.deepEqual(result.faultFailures, [], summary);
  assert.ok(result.sagasRun >= 24, summary);
  for (const kind of ['kill-service', 'kill-two-services', 'kafka-restart', 'postgres-restart', 'gateway-5xx', 'webhooks-duplicate', 'poison-messages', 'consumer-rebalance']) {
    assert.ok((result.faultsByKind[kind] ?? 0) >= 1, `${kind} was not injected\n${summary}`);
  }
  // Poison reached the consumers (dead-lettered), and nothing else was dead-lettered unaccounted (the audit above).
  assert.ok(result.poison.published > 0 && result.poison.deadLettered > 0, summary);
  const confirmed = Object.entries(result.outcomesByKind).filter(([kind]) => kind.endsWith('→ confirmed')).reduce((sum, [, n]) => sum + n, 0);
  assert.ok(confirmed > 0, `no checkout was confirmed under faults\n${summary}`);
});
