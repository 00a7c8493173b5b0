import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Command } from 'commander';
import Stripe from 'stripe';
import { registerGatewayCommand } from '../../src/cli/gateway-command.ts';
import { rawCall, startWebhookReceiver, TEST_KEY, WEBHOOK_SECRET } from './support/harness.ts';

const run = promisify(execFile);
const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** Resolves with the URL the command prints, or rejects with its output if it exits or stays silent. */
async function printedUrl(child: ChildProcessWithoutNullStreams): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 20 s:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before printing its URL:\n${output}`));
    });
  });
}

test('paysaga gateway serves the SDK, applies its flags, and stops with exit 0 on SIGTERM', async () => {
  const receiver = await startWebhookReceiver();
  const child = spawn(process.execPath, [
    main, 'gateway', '--port', '0', '--webhook-url', receiver.url, '--webhook-secret', WEBHOOK_SECRET,
    '--latency-ms', '1', '--duplicate-webhook-rate', '0', '--out-of-order-webhooks', '--drop-webhook-rate', '0',
  ]);
  const exited = once(child, 'exit');
  try {
    const url = new URL(await printedUrl(child));
    const stripe = new Stripe(TEST_KEY, { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0 });
    const intent = await stripe.paymentIntents.create({ amount: 1234, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    assert.equal(intent.status, 'succeeded');
    const simulator = { url: url.origin };
    const faults = JSON.parse((await rawCall(simulator, 'GET', '/_simulator/faults', { auth: false })).body) as Record<string, unknown>;
    assert.equal(faults.latencyMs, 1);
    assert.equal(faults.webhookOutOfOrder, true);
    const stats = await rawCall(simulator, 'GET', '/_simulator/stats', { auth: false });
    assert.equal((JSON.parse(stats.body) as { intentsCreated: number }).intentsCreated, 1);
  } finally {
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    await receiver.close();
  }
});

test('paysaga gateway refuses a bad flag value with a clear message and exit 2 (usage)', async () => {
  const result = await run(process.execPath, [main, 'gateway', '--error-rate', '2'], { timeout: 20_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--error-rate.*'2' is invalid\. A rate is a number from 0 to 1/);
});

test('every gateway flag value is validated before anything starts', async () => {
  const cases = [
    ['--port', 'eighty'], ['--port', '70000'], ['--latency-ms', '-5'], ['--latency-ms', '1.5'], ['--timeout-rate', 'x'],
    ['--duplicate-webhook-rate', '1.1'], ['--drop-webhook-rate', '-0.1'], ['--webhook-url', 'nope'], ['--webhook-url', 'ftp://host/x'],
    ['--webhook-secret', ' '], ['--webhook-delay-ms', 'soon'],
  ] as const;
  for (const [flag, value] of cases) {
    let errors = '';
    const program = new Command('paysaga').exitOverride().configureOutput({ writeErr: (text) => { errors += text; }, writeOut: () => undefined });
    registerGatewayCommand(program);
    await assert.rejects(program.parseAsync(['gateway', flag, value], { from: 'user' }), { code: 'commander.invalidArgument' }, `${flag} ${value}`);
    assert.match(errors, new RegExp(`${flag}`));
  }
});
