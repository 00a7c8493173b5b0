import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';
import { SAGA_STATUS_CHOICES } from '../../src/cli/saga-commands.ts';
import { SAGA_STATUSES } from '../../src/platform/saga/saga-tables.ts';
import { checkoutSaga } from '../../src/services/saga/sagas/checkout-saga.ts';
import { cancellationRefundSaga, partialRefundSaga } from '../../src/services/saga/sagas/refund-sagas.ts';
import { inBatches, ROOT, runCli } from './support/run-cli.ts';

interface Node {
  path: string[];
  command: Command;
}

/** Every command and subcommand of the tree, root first (commander's own `help` command is not ours). */
function walk(command: Command, path: string[] = []): Node[] {
  return [{ path, command }, ...command.commands.filter((sub) => sub.name() !== 'help').flatMap((sub) => walk(sub, [...path, sub.name()]))];
}

const tree = walk(buildProgram());
/** A command that lists or shows something: these names, wherever they are, and these paths. */
const LISTING_NAMES = new Set(['list', 'show', 'describe']);
const LISTING_PATHS = new Set(['lag', 'saga', 'events', 'topics create']);
const isListing = (node: Node): boolean => LISTING_NAMES.has(node.path.at(-1) ?? '') || LISTING_PATHS.has(node.path.join(' '));

test('the tree is walked: it has the commands the runbook uses', () => {
  const paths = tree.map((node) => node.path.join(' '));
  for (const expected of ['lag', 'saga list', 'saga show', 'dead-letters replay', 'dead-letters list', 'topics describe', 'events', 'serve', 'up', 'token']) {
    assert.ok(paths.includes(expected), `${expected} in ${paths.join(', ')}`);
  }
});

test('every command and subcommand has a description', () => {
  const missing = tree.filter((node) => node.command.description().trim().length < 10).map((node) => node.path.join(' ') || '(root)');
  assert.deepEqual(missing, []);
});

test('every command that lists or shows takes --json', () => {
  const listing = tree.filter(isListing);
  assert.ok(listing.length >= 8, `found ${listing.length} listing commands`);
  const without = listing.filter((node) => !node.command.options.some((option) => option.long === '--json')).map((node) => node.path.join(' '));
  assert.deepEqual(without, []);
});

test('the CLI\'s choices follow the platform: saga statuses and saga types', () => {
  assert.deepEqual([...SAGA_STATUS_CHOICES], [...SAGA_STATUSES]);
  const list = tree.find((node) => node.path.join(' ') === 'saga list')?.command;
  const typeOption = list?.options.find((option) => option.long === '--type');
  const types = [checkoutSaga({ paymentDeadlineMs: 1 }), cancellationRefundSaga({ refundDeadlineMs: 1 }), partialRefundSaga({ refundDeadlineMs: 1 })].map((saga) => saga.name);
  assert.deepEqual(typeOption?.argChoices, types);
});

test('--help of every command and subcommand exits 0 and prints its description (child processes)', { timeout: 600_000 }, async () => {
  const results = await inBatches(tree, 3, async (node) => ({ node, result: await runCli([...node.path, '--help']) }));
  for (const { node, result } of results) {
    const name = node.path.join(' ') || '(root)';
    assert.equal(result.code, 0, `${name} --help: ${result.stderr}`);
    const words = node.command.description().split(/\s+/).slice(0, 4).join(' ');
    assert.ok(result.stdout.replace(/\s+/g, ' ').includes(words), `${name} --help shows its description (${words}):\n${result.stdout}`);
    assert.match(result.stdout, new RegExp(`^Usage: paysaga${node.path.length > 0 ? ` ${node.path.join(' ')}` : ''}`));
  }
});

test('--version prints package.json\'s version', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const result = await runCli(['--version']);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), version);
});

/** Usage errors exit 2 with one readable message on stderr and nothing on stdout. */
const USAGE_ERRORS: { args: string[]; message: RegExp }[] = [
  { args: ['nope', '--help'], message: /unknown command 'nope'/ },
  { args: ['nope'], message: /unknown command 'nope'/ },
  { args: ['dead-letters', 'bogus'], message: /unknown command 'dead-letters bogus'/ },
  { args: ['topics', 'describ'], message: /unknown command 'topics describ'/ },
  { args: ['lag', '--bogus'], message: /unknown option '--bogus'/ },
  { args: ['dead-letters', 'list', '--status', 'bogus'], message: /Allowed choices are pending, replayed, resolved, discarded/ },
  { args: ['dead-letters', 'show', 'payment'], message: /missing required argument 'id'/ },
  { args: ['dead-letters', 'replay', 'payment', 'x1'], message: /"x1" is not a dead-letter id/ },
  { args: ['dead-letters', 'replay'], message: /give <service> <id>, or --all/ },
  { args: ['dead-letters', 'replay', 'payment', '1', '--topic', 'payment.requested'], message: /filter --all/ },
  { args: ['saga', 'list', '--status', 'done'], message: /Allowed choices are RUNNING, COMPENSATING, COMPLETED, COMPENSATED, FAILED/ },
  { args: ['saga', 'list', '--limit', '0'], message: /expected an integer from 1 to 10000/ },
  { args: ['saga', 'not an id'], message: /"not an id" is not a saga id/ },
  { args: ['token', '--role', 'king', '--subject', 'x'], message: /Allowed choices are customer, restaurant, courier, admin/ },
  { args: ['events', '--idle-ms', 'soon'], message: /expected an integer/ },
  { args: ['up', '--port', '70000'], message: /expected an integer from 0 to 65535/ },
  { args: [], message: /Usage: paysaga/ },
];

test('usage errors exit 2 with a readable message (unknown command or option, missing argument, bad value)', { timeout: 600_000 }, async () => {
  // No broker or database is reached: each is refused before any connection.
  const env = { KAFKA_BROKERS: '127.0.0.1:1', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
  const results = await inBatches(USAGE_ERRORS, 3, async (entry) => ({ entry, result: await runCli(entry.args, env) }));
  for (const { entry, result } of results) {
    const name = entry.args.join(' ') || '(no arguments)';
    assert.equal(result.code, 2, `${name}: exit ${result.code}\n${result.stdout}${result.stderr}`);
    assert.match(result.stderr, entry.message, name);
    assert.doesNotMatch(result.stderr, /\n\s+at /, `${name}: no stack trace`);
    if (entry.args.length > 0) assert.equal(result.stdout, '', `${name}: nothing on stdout`);
  }
});

test('a failure exits 1 with one readable line: an unreachable database or broker, a database without paysaga\'s tables', { timeout: 300_000 }, async () => {
  const unreachable = await runCli(['saga', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' });
  assert.equal(unreachable.code, 1, unreachable.stderr);
  assert.match(unreachable.stderr, /^paysaga: cannot connect .*ECONNREFUSED/);
  const empty = await runCli(['saga', 'nope'], { DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', PAYSAGA_NAMESPACE: `cli_none_${process.pid}` });
  assert.equal(empty.code, 1, empty.stderr);
  assert.match(empty.stderr, /nothing of paysaga's in this database under PAYSAGA_NAMESPACE/);
  assert.equal(empty.stderr.trim().split('\n').length, 1, empty.stderr);
  const kafka = await runCli(['lag'], { KAFKA_BROKERS: '127.0.0.1:1' });
  assert.equal(kafka.code, 1, kafka.stderr);
  assert.match(kafka.stderr, /^paysaga: /);
  assert.doesNotMatch(kafka.stderr, /\n\s+at /);
});

test('a command that ends with a verdict keeps its exit code: process.exitCode set by the action is what runCli returns', async () => {
  const { Command: CommanderCommand } = await import('commander');
  const { runCli: runInProcess } = await import('../../src/cli/cli-conventions.ts');
  const before = process.exitCode;
  try {
    const program = new CommanderCommand('verdicts');
    program.command('violations').description('finds one').action(() => { process.exitCode = 1; });
    program.command('clean').description('finds none').action(() => undefined);
    assert.equal(await runInProcess(program, ['violations']), 1);
    process.exitCode = undefined;
    assert.equal(await runInProcess(program, ['clean']), 0);
  } finally {
    process.exitCode = before;
  }
});
