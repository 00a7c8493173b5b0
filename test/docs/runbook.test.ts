import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildProgram } from '../../src/cli/main.ts';
import { KafkaTransport } from '../../src/platform/messaging/kafka/kafka-transport.ts';
import { NamespacedTransport } from '../../src/platform/messaging/namespaced-transport.ts';
import { startDeployment, type Deployment } from '../cli/support/deployment.ts';
import { NODE, ROOT, runCli } from '../cli/support/run-cli.ts';
import { eventually, kafkaBrokers } from '../support/env.ts';
import { invocationProblem, paysagaInvocations, shellBlocks } from './runbook-blocks.ts';

const runbook = readFileSync(join(ROOT, 'docs', 'runbook.md'), 'utf8');
const blocks = shellBlocks(runbook);
const program = buildProgram();
const kafkaScript = readFileSync(join(ROOT, 'scripts', 'kafka.sh'), 'utf8');

test('the runbook has runnable blocks for every section the issue asks for, and destructive ones kept apart', () => {
  const sections = ['Start, stop, restart a service', 'Read consumer lag', 'Replay events', 'Handle dead letters', 'Rotate the auth secret', 'Rotate the webhook secret', 'Kafka is down', 'PostgreSQL is down', 'A stuck saga', 'breaker is open'];
  for (const section of sections) assert.match(runbook, new RegExp(`^## .*${section}`, 'm'), section);
  assert.ok(blocks.filter((block) => block.tag === 'runbook').length >= 12);
  assert.ok(blocks.filter((block) => block.tag === 'runbook-destructive').length >= 4);
  for (const block of blocks) assert.ok(['', 'runbook', 'runbook-destructive'].includes(block.tag), `line ${block.line}: unknown tag ${block.tag}`);
});

test('every sh block is valid bash, every paysaga command and option in the runbook exists, every kafka.sh subcommand exists', () => {
  for (const block of blocks) {
    const syntax = spawnSync('bash', ['-n'], { input: block.code, encoding: 'utf8' });
    assert.equal(syntax.status, 0, `line ${block.line}: ${syntax.stderr}`);
    for (const match of block.code.matchAll(/scripts\/kafka\.sh\s+([a-z-]+)/g)) {
      assert.match(kafkaScript, new RegExp(`^\\s+${match[1]}\\)`, 'm'), `line ${block.line}: kafka.sh has no ${match[1]}`);
    }
  }
  const spans = [...runbook.matchAll(/`(paysaga [^`|]+)`/g)].map((match) => match[1] ?? '');
  const invocations = [...blocks.flatMap((block) => paysagaInvocations(block.code)), ...spans.flatMap(paysagaInvocations)];
  assert.ok(invocations.length >= 25, `found ${invocations.length}`);
  const problems = invocations.flatMap((args) => { const problem = invocationProblem(program, args); return problem ? [`paysaga ${args.join(' ')}: ${problem}`] : []; });
  assert.deepEqual(problems, []);
});

test('the check itself catches a stale command or option', () => {
  assert.match(invocationProblem(program, ['lags']) ?? '', /no command lags/);
  assert.match(invocationProblem(program, ['dead-letters', 'retry', '--all']) ?? '', /no subcommand retry/);
  assert.match(invocationProblem(program, ['lag', '--max']) ?? '', /no option --max/);
  assert.equal(invocationProblem(program, ['saga', 'checkout-ord_1', '--json']), null);
});

// The runnable blocks, against a deployment of the test's own.
let deployment: Deployment;
let shim = '';

before(async () => {
  deployment = await startDeployment('runbook');
  shim = mkdtempSync(join(tmpdir(), 'paysaga-runbook-'));
  // `paysaga` on PATH is the checkout's bin/paysaga.js, as the runbook says.
  writeFileSync(join(shim, 'paysaga'), `#!/bin/sh\nexec '${NODE}' '${join(ROOT, 'bin', 'paysaga.js')}' "$@"\n`);
  chmodSync(join(shim, 'paysaga'), 0o755);
  // What the runbook's blocks look at: a checkout waiting for its payment, and poison on a topic only payment consumes.
  const customer = await deployment.token('customer', 'cust-runbook');
  const response = await fetch(`${deployment.url}/checkout`, {
    method: 'POST', headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ restaurantId: 'resto-1', deliveryAddress: '1 Main Street', items: [{ productId: 'margherita', name: 'Pizza Margherita', quantity: 1, unitPrice: { amount: 1200, currency: 'USD' } }] }),
  });
  assert.ok(response.status < 300, await response.text());
  const transport = new NamespacedTransport(new KafkaTransport({ brokers: kafkaBrokers(), clientId: `${deployment.namespace}-runbook` }), deployment.namespace);
  try {
    await transport.publish(['poison-a', 'poison-b'].map((key) => ({ topic: 'payment.commands', key, value: Buffer.from('not json'), headers: {} })));
  } finally {
    await transport.close();
  }
  await eventually('the poison dead-lettered', async () => {
    const listed = await runCli(['dead-letters', 'list', '--service', 'payment', '--json'], deployment.env);
    return listed.code === 0 && (JSON.parse(listed.stdout) as { deadLetters: unknown[] }).deadLetters.length === 2;
  }, 120_000);
}, { timeout: 300_000 });

after(async () => {
  if (deployment) assert.equal(await deployment.stop(), 0, deployment.output().slice(-3_000));
}, { timeout: 120_000 });

function runBlock(code: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...deployment.env, PAYSAGA_URL: deployment.url, PATH: `${shim}:${process.env.PATH ?? ''}` },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, 180_000);
    child.once('error', reject);
    child.once('exit', (exitCode) => { clearTimeout(timer); resolve({ code: exitCode, output }); });
  });
}

test('every runnable block of the runbook exits 0 against a running deployment, with the output it expects', { timeout: 2_400_000 }, async () => {
  for (const block of blocks.filter((candidate) => candidate.tag === 'runbook')) {
    const result = await runBlock(block.code);
    assert.equal(result.code, 0, `runbook.md line ${block.line} exited ${result.code}:\n${block.code}\n--- output:\n${result.output}`);
    for (const pattern of block.expect) assert.match(result.output, pattern, `runbook.md line ${block.line}: output lacks ${pattern}\n${result.output}`);
  }
});
