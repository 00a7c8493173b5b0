import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ChaosResult } from '../../../src/cli/chaos/chaos-run.ts';

const root = join(import.meta.dirname, '..', '..', '..');

/** Runs `paysaga chaos` as a user types it; its stdout (JSON) and exit code. */
function runChaosCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules', '.bin', 'node'), [join(root, 'src', 'cli', 'main.ts'), 'chaos', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => { resolve({ code, stdout, stderr }); });
  });
}

// The CI variant of the fault suite (docs/reliability.md): a private PostgreSQL and Kafka, every service its own
// process, checkouts, declines, cancellations and refunds under load while one fault of each family runs, then the
// auditor. About 3.5 minutes on a quiet 2-core machine; the timeout leaves room for a loaded CI machine.
test('the fault suite (CI plan) leaves books with 0 violations after kill -9, broker and PostgreSQL restarts, gateway and webhook faults, poison and a rebalance', { timeout: 40 * 60_000 }, async () => {
  const run = await runChaosCli(['--plan', 'ci', '--brokers', '1', '--sagas', '24', '--concurrency', '4', '--base-port', '27500', '--json']);
  const tail = run.stderr.split('\n').slice(-40).join('\n');
  assert.ok(run.stdout.trim().startsWith('{'), `chaos printed no result (exit ${run.code}):\n${tail}`);
  const result = JSON.parse(run.stdout) as ChaosResult;
  const violations = result.audit.checks.flatMap((check) => [...(check.skipped ? [`[${check.name}] skipped: ${check.skipped}`] : []), ...check.violations.map((violation) => `[${check.name}] ${violation.message}`)]);
  assert.deepEqual(violations, [], `the auditor found violations (logs: ${result.logDir})`);
  assert.equal(result.settled, true, `the system did not settle:\n${tail}`);
  assert.deepEqual(result.faultFailures, [], 'every fault was injected as planned');
  for (const kind of ['kill-service', 'kill-two-services', 'kafka-restart', 'postgres-restart', 'gateway-5xx', 'gateway-timeouts', 'webhooks-duplicate', 'webhooks-reordered', 'poison-messages', 'consumer-rebalance']) {
    assert.ok((result.faultsByKind[kind] ?? 0) >= 1, `fault ${kind} was injected (${JSON.stringify(result.faultsByKind)})`);
  }
  assert.ok(result.poison.deadLettered > 0, 'poison reached the dead letters');
  assert.ok((result.outcomesByKind['checkout → confirmed'] ?? 0) > 0, `checkouts were confirmed (${JSON.stringify(result.outcomesByKind)})`);
  assert.ok((result.outcomesByKind['cancel → refunded'] ?? 0) > 0, 'cancellations were refunded');
  assert.equal(run.code, 0, `chaos exits 0 on a clean audit:\n${tail}`);
});
