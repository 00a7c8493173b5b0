import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runLoad, type LoadProgress } from '../../../src/cli/load/load-driver.ts';
import { MixDealer } from '../../../src/cli/load/saga-mix.ts';
import { percentiles } from '../../../src/cli/load/load-summary.ts';
import { EmbeddedPlatform } from '../../http/embedded-platform.ts';

let platform: EmbeddedPlatform;
before(async () => { platform = await EmbeddedPlatform.start(); });
after(async () => { await platform.stop(); });

test('a closed loop by count drives every kind of saga to its end and records each call', { timeout: 240_000 }, async () => {
  const progress: LoadProgress[] = [];
  const result = await runLoad({
    baseUrl: platform.started.url, auth: { secret: platform.started.authSecret },
    load: { kind: 'closed', concurrency: 4 }, stop: { sagas: 10 }, warmup: { sagas: 2 },
    mix: { decline: 0.2, cancel: 0.1, fullRefund: 0.1, partialRefund: 0.1 },
    onProgress: (update) => progress.push(update), progressEveryMs: 100, sagaTimeoutMs: 120_000,
  });
  assert.equal(result.records.length, 12);
  assert.equal(result.records.filter((record) => record.warmup).length, 2);
  const { summary } = result;
  assert.equal(summary.sagas, 10);
  assert.deepEqual(summary.errors, {}, JSON.stringify(summary.errorSamples));
  assert.equal(summary.completed, 10);
  assert.deepEqual(summary.kinds, { checkout: 5, decline: 2, cancel: 1, 'full-refund': 1, 'partial-refund': 1 });
  assert.deepEqual(summary.outcomes, { confirmed: 5, declined: 2, refunded: 3 });
  assert.equal(summary.e2eMs.count, 10);
  assert.ok((summary.e2eMs.p50 ?? 0) > 0 && (summary.e2eMs.max ?? 0) >= (summary.e2eMs.p99 ?? Infinity), JSON.stringify(summary.e2eMs));
  assert.equal(summary.followUpMs.count, 3);
  assert.ok(summary.completedPerSecond > 0);
  assert.equal(summary.httpMs['POST /checkout']?.count, 10);
  assert.equal(summary.httpMs['POST /payments/:id/confirm']?.statuses['402'], 2);
  for (const record of result.records) {
    assert.match(record.orderId ?? '', /^ord_/);
    assert.ok(record.calls.every((call) => call.status >= 200 && call.ms >= 0), JSON.stringify(record.calls));
    assert.ok(record.endedAtMs >= record.startedAtMs);
  }
  // The orders are what the records say.
  const admin = await platform.token('admin', 'load-test');
  const declined = result.records.find((record) => record.kind === 'decline');
  assert.equal((await platform.call('GET', `/orders/${declined?.orderId}`, admin)).body.status, 'PAYMENT_FAILED');
  const cancelled = result.records.find((record) => record.kind === 'cancel');
  assert.equal((await platform.call('GET', `/orders/${cancelled?.orderId}`, admin)).body.status, 'REFUNDED');
  assert.ok(progress.length > 0 && progress.at(-1)?.done === 12, JSON.stringify(progress.at(-1)));
});

test('an open loop by duration starts at the offered rate and stops by itself', { timeout: 240_000 }, async () => {
  const result = await runLoad({
    baseUrl: platform.started.url, auth: { secret: platform.started.authSecret },
    load: { kind: 'open', ratePerSecond: 4 }, stop: { durationMs: 2_000 }, sagaTimeoutMs: 120_000,
  });
  // 4/s for 2 s: 8 starts (the first at once), give or take one for timer slack.
  assert.ok(result.summary.sagas >= 7 && result.summary.sagas <= 9, `started ${result.summary.sagas}`);
  assert.equal(result.summary.completed, result.summary.sagas, JSON.stringify(result.summary.errorSamples));
});

test('aborting the signal ends the run with what was done, the rest recorded as aborted', { timeout: 240_000 }, async () => {
  const controller = new AbortController();
  const running = runLoad({
    baseUrl: platform.started.url, auth: { secret: platform.started.authSecret },
    load: { kind: 'closed', concurrency: 2 }, stop: { durationMs: 600_000 }, signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 1_500);
  const result = await running;
  assert.equal(result.aborted, true);
  assert.ok(result.records.length >= 2);
  assert.ok(result.records.some((record) => record.outcome === 'aborted'));
});

test('503 with Retry-After is counted as overloaded, apart from other errors', { timeout: 60_000 }, async () => {
  const { createServer } = await import('node:http');
  const server = createServer((request, response) => {
    if (request.url === '/products') { response.writeHead(201, { 'content-type': 'application/json' }).end('{}'); return; }
    response.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"code":"overloaded","message":"too many sagas in flight"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const result = await runLoad({ baseUrl: `http://127.0.0.1:${port}`, auth: { customerToken: 't', adminToken: 't' }, load: { kind: 'open', ratePerSecond: 20 }, stop: { sagas: 5 } });
    assert.deepEqual(result.summary.errors, { 'overloaded-503': 5 });
    assert.equal(result.summary.overloadedCalls, 5);
    assert.equal(result.records[0]?.error?.retryAfterSeconds, 1);
    assert.equal(result.summary.completed, 0);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the mix deals kinds evenly in their proportions; percentiles are nearest-rank', () => {
  const dealer = new MixDealer({ decline: 0.1 });
  const kinds = Array.from({ length: 20 }, () => dealer.next());
  assert.equal(kinds.filter((kind) => kind === 'decline').length, 2);
  assert.throws(() => new MixDealer({ decline: 0.6, cancel: 0.6 }), /more than 1/);
  assert.deepEqual(percentiles([5, 1, 4, 2, 3]), { count: 5, p50: 3, p95: 5, p99: 5, max: 5, mean: 3 });
  assert.equal(percentiles([]).p50, null);
});
