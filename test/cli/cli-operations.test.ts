import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { KafkaTransport } from '../../src/platform/messaging/kafka/kafka-transport.ts';
import { NamespacedTransport } from '../../src/platform/messaging/namespaced-transport.ts';
import { eventually, kafkaBrokers } from '../support/env.ts';
import { startDeployment, type Deployment } from './support/deployment.ts';
import { MAIN, NODE, ROOT, runCli, type CliResult } from './support/run-cli.ts';

// One deployment (`paysaga serve all` in its own namespace) that the commands below inspect and operate on.
let deployment: Deployment;
let transport: NamespacedTransport;
let orderId = '';
let paymentId = '';

const cli = (args: string[]): Promise<CliResult> => runCli(args, deployment.env);
async function json<T>(args: string[]): Promise<T> {
  const result = await cli([...args, '--json']);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${deployment.url}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

before(async () => {
  deployment = await startDeployment('cliops');
  transport = new NamespacedTransport(new KafkaTransport({ brokers: kafkaBrokers(), clientId: `${deployment.namespace}-test` }), deployment.namespace);
  const customer = await deployment.token('customer', 'cust-cli');
  const checkout = await call('POST', '/checkout', customer, {
    restaurantId: 'resto-1', deliveryAddress: '1 Main Street',
    items: [{ productId: 'margherita', name: 'Pizza Margherita', quantity: 1, unitPrice: { amount: 1200, currency: 'USD' } }],
  });
  assert.ok(checkout.status === 201 || checkout.status === 202, JSON.stringify(checkout));
  orderId = String(checkout.body.orderId);
  paymentId = String(checkout.body.paymentId);
}, { timeout: 300_000 });

after(async () => {
  await transport?.close();
  if (deployment) assert.equal(await deployment.stop(), 0, deployment.output().slice(-3_000));
}, { timeout: 120_000 });

test('saga list filters by status and order; saga show and the shorthand print the timeline; an unknown saga exits 1', { timeout: 300_000 }, async () => {
  const sagaId = `checkout-${orderId}`;
  const running = await eventually('the checkout saga to be listed RUNNING', async () => {
    const { sagas } = await json<{ sagas: { id: string; status: string }[] }>(['saga', 'list', '--status', 'RUNNING', '--order', orderId]);
    return sagas.some((saga) => saga.id === sagaId) ? sagas : undefined;
  }, 120_000);
  assert.ok(running.every((saga) => saga.status === 'RUNNING'));
  const completed = await json<{ sagas: unknown[] }>(['saga', 'list', '--status', 'COMPLETED', '--order', orderId]);
  assert.deepEqual(completed.sagas, []);
  const shown = await json<{ id: string; orderId: string; timeline: { step: string; kind: string }[] }>(['saga', 'show', sagaId]);
  assert.equal(shown.orderId, orderId);
  assert.ok(shown.timeline.some((entry) => entry.step === 'create-order'), JSON.stringify(shown.timeline));
  const text = await cli(['saga', sagaId]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^${sagaId}  checkout  order ${orderId}  RUNNING`));
  const missing = await cli(['saga', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim(), 'paysaga: no saga nope');
});

test('events --follow prints history, keeps printing new events as they arrive, and exits 0 on SIGTERM', { timeout: 300_000 }, async () => {
  const child = spawn(NODE, [MAIN, 'events', '--follow', '--json', '--key', orderId, '--topics', 'payment.*'], { cwd: ROOT, env: { ...process.env, ...deployment.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const events = (): { type: string; key: string }[] => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; key: string });
  try {
    await eventually('the payment\'s creation in the history', () => events().some((event) => event.type === 'PaymentInitiated'), 120_000);
    assert.ok(!events().some((event) => event.type === 'PaymentCompleted'), stdout);
    const customer = await deployment.token('customer', 'cust-cli');
    const confirmed = await call('POST', `/payments/${paymentId}/confirm`, customer, { paymentMethod: 'pm_card_visa' });
    assert.ok(confirmed.status < 300, JSON.stringify(confirmed));
    await eventually('PaymentCompleted printed as it arrives', () => events().some((event) => event.type === 'PaymentCompleted'), 120_000);
    assert.ok(events().every((event) => event.key === orderId));
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /following \d+ topics/);
});

test('lag reads committed against end offsets from Kafka; --max-lag turns it into a check (exit 1 above)', { timeout: 300_000 }, async () => {
  // A group of the test's own: it handles one record and commits, then two more arrive unread → lag 2.
  const key = `lag-${orderId}`;
  // On a topic of its own: no service consumes it (a service would dead-letter these records).
  await transport.ensureTopics([{ name: 'cli.lag-probe', partitions: 2, replicationFactor: 1 }]);
  const publish = (n: number) => transport.publish([{ topic: 'cli.lag-probe', key, value: Buffer.from(`{"n":${n}}`), headers: {} }]);
  await publish(0);
  let seen = 0;
  const subscription = await transport.subscribe({ groupId: 'cli-lag-probe', topics: ['cli.lag-probe'], handler: async (record) => { if (record.key === key) seen += 1; } });
  await eventually('the probe group to handle its record', () => seen >= 1, 120_000);
  await subscription.close();
  await publish(1);
  await publish(2);
  const { groups } = await json<{ groups: { group: string; partitions: { topic: string; committedOffset: string | null; endOffset: string; lag: string }[] }[] }>(['lag', '--group', 'cli-lag-probe']);
  const probe = groups.find((group) => group.group === 'cli-lag-probe');
  assert.ok(probe, JSON.stringify(groups));
  assert.equal(probe.partitions.reduce((sum, entry) => sum + Number(entry.lag), 0), 2, JSON.stringify(probe));
  assert.ok(probe.partitions.every((entry) => entry.topic === 'cli.lag-probe'));
  const check = await cli(['lag', '--group', 'cli-lag-probe', '--max-lag', '1']);
  assert.equal(check.code, 1, check.stdout + check.stderr);
  assert.match(check.stderr, /lag above --max-lag 1: cli-lag-probe cli\.lag-probe\[\d\] lags 2/);
  // The services' groups, by default: each has committed, and catches up (the check passes with --max-lag 0).
  await eventually('every service group to have caught up', async () => (await cli(['lag', '--max-lag', '0'])).code === 0, 120_000);
  const services = await json<{ groups: { group: string; state: string; partitions: { committedOffset: string | null }[] }[] }>(['lag']);
  assert.deepEqual(services.groups.map((group) => group.group), ['payment', 'order', 'inventory', 'delivery', 'notification', 'saga']);
  for (const group of services.groups) {
    assert.equal(group.state, 'Stable', JSON.stringify(group));
    assert.ok(group.partitions.length > 0, `${group.group} has partitions`);
  }
  const text = await cli(['lag', '--group', 'saga']);
  assert.match(text.stdout, /^GROUP\s+TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG/);
});

test('topics describe shows partitions, replication, leader and ISR per partition, and configs', { timeout: 120_000 }, async () => {
  const { topics } = await json<{ topics: { topic: string; partitions: { leader: number; replicas: number[]; isr: number[] }[]; replicationFactor: number; configs: Record<string, string> }[] }>(['topics', 'describe']);
  const names = topics.map((topic) => topic.topic);
  for (const name of ['payment.completed', 'payment.completed.retry', 'payment.completed.dlq', 'order.created']) assert.ok(names.includes(name), name);
  for (const topic of topics) {
    assert.ok(topic.partitions.length >= 1);
    assert.ok(topic.replicationFactor >= 1);
    for (const partition of topic.partitions) {
      assert.ok(partition.replicas.includes(partition.leader));
      assert.ok(partition.isr.length >= 1);
    }
    assert.match(topic.configs['retention.ms'] ?? '', /^-?\d+$/);
    assert.match(topic.configs['min.insync.replicas'] ?? '', /^\d+$/);
  }
  const one = await cli(['topics', 'describe', 'payment.completed']);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^payment\.completed .*partitions \d+ {2}replication \d+\n {2}configs: .*retention\.ms=/);
  assert.match(one.stdout, /partition 0 {2}leader \d+ {2}replicas [\d,]+ {2}isr [\d,]+/);
  const missing = await cli(['topics', 'describe', 'no.such.topic']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such topic: no\.such\.topic/);
});

test('dead-letters replay --all --topic --reason replays every match with a progress bar; discard --all empties the rest', { timeout: 300_000 }, async () => {
  // Poison: not JSON on a topic only the payment service consumes → dead-lettered at once as malformed.
  const keys = ['poison-1', 'poison-2', 'poison-3'];
  await transport.publish(keys.map((key) => ({ topic: 'payment.commands', key, value: Buffer.from('not json'), headers: {} })));
  type Letters = { deadLetters: { service: string; id: string; key: string; topic: string; reason: string; status: string }[] };
  const pending = await eventually('three dead letters', async () => {
    const { deadLetters } = await json<Letters>(['dead-letters', 'list', '--topic', 'payment.commands']);
    return deadLetters.filter((letter) => keys.includes(letter.key)).length === 3 ? deadLetters : undefined;
  }, 120_000);
  assert.ok(pending.every((letter) => letter.service === 'payment' && letter.reason === 'malformed' && letter.status === 'pending'));
  const nothing = await json<{ matched: number }>(['dead-letters', 'replay', '--all', '--topic', 'payment.commands', '--reason', 'handler-failed']);
  assert.equal(nothing.matched, 0);

  const replay = await cli(['dead-letters', 'replay', '--all', '--topic', 'payment.commands', '--reason', 'malformed', '--json']);
  assert.equal(replay.code, 0, replay.stderr);
  const outcome = JSON.parse(replay.stdout) as { matched: number; done: number; failed: unknown[] };
  assert.deepEqual({ matched: outcome.matched, done: outcome.done, failed: outcome.failed }, { matched: 3, done: 3, failed: [] });
  assert.match(replay.stderr, /replay 3 dead letters \[#{30}\] 3\/3/);
  const replayed = await json<Letters>(['dead-letters', 'list', '--status', 'replayed', '--service', 'payment']);
  assert.deepEqual(replayed.deadLetters.map((letter) => letter.id).sort(), pending.map((letter) => letter.id).sort());

  // Replayed for real: back on the topic, still poison, so each is dead-lettered again (new ids).
  const again = await eventually('the replayed records dead-lettered again', async () => {
    const { deadLetters } = await json<Letters>(['dead-letters', 'list', '--topic', 'payment.commands', '--reason', 'malformed']);
    return deadLetters.length === 3 ? deadLetters : undefined;
  }, 120_000);
  assert.ok(again.every((letter) => !pending.some((old) => old.id === letter.id)));
  const discard = await cli(['dead-letters', 'discard', '--all', '--service', 'payment', '--reason', 'malformed', '--note', 'poison from the CLI test']);
  assert.equal(discard.code, 0, discard.stderr);
  assert.match(discard.stdout, /^discarded 3 of 3 pending dead letters/);
  const left = await json<Letters>(['dead-letters', 'list']);
  assert.deepEqual(left.deadLetters, []);
  const shown = await json<{ status: string; note: string }>(['dead-letters', 'show', 'payment', again[0]?.id ?? '']);
  assert.deepEqual({ status: shown.status, note: shown.note }, { status: 'discarded', note: 'poison from the CLI test' });
  const twice = await cli(['dead-letters', 'replay', 'payment', again[0]?.id ?? '']);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /^paysaga: dead letter \d+ is discarded, only a pending one can change/);
});
