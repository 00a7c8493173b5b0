import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { runChaos } from '../../src/cli/chaos/chaos-run.ts';
import { busyPorts, ephemeralPortRange, freePortBlock, overlapsEphemeral, portFree } from '../../src/cli/ports.ts';

function hold(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { resolve(server); });
  });
}

test('the ephemeral range is read from the kernel, and anything unreadable falls back to the IANA range', () => {
  assert.deepEqual(ephemeralPortRange(() => '32768\t60999\n'), { low: 32_768, high: 60_999 });
  assert.deepEqual(ephemeralPortRange(() => '1024 65535'), { low: 1_024, high: 65_535 });
  for (const text of ['', 'x y', '60999 32768', '32768']) assert.deepEqual(ephemeralPortRange(() => text), { low: 49_152, high: 65_535 }, JSON.stringify(text));
  assert.deepEqual(ephemeralPortRange(() => { throw new Error('ENOENT'); }), { low: 49_152, high: 65_535 });
});

test('a block of ports overlaps the ephemeral range when any one of its ports is in it', () => {
  const range = { low: 32_768, high: 60_999 };
  const cases: [first: number, count: number, overlaps: boolean][] = [
    [27_100, 46, false], [32_722, 46, false], [32_723, 46, true], [32_768, 1, true], [47_100, 46, true], [60_999, 1, true], [61_000, 10, false], [3_001, 6, false],
  ];
  for (const [first, count, overlaps] of cases) assert.equal(overlapsEphemeral(first, count, range), overlaps, `${first} +${count}`);
});

test('a free port block lies below the ephemeral range, is free, and a held port is reported busy', async () => {
  const range = ephemeralPortRange();
  const first = await freePortBlock(7);
  assert.ok(first >= 10_000 && first + 7 <= range.low, `${first} below ${range.low}`);
  assert.deepEqual(await busyPorts(Array.from({ length: 7 }, (_, offset) => first + offset)), []);
  const server = await hold(first + 3);
  try {
    assert.equal(await portFree(first + 3), false);
    assert.deepEqual(await busyPorts([first, first + 3, first + 6]), [first + 3]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  await assert.rejects(freePortBlock(10, { low: 10_005, high: 60_999 }), /no room for 10 ports/);
});

test('the fault suite refuses to start on a port something holds, before it starts anything', async () => {
  const base = await freePortBlock(46);
  const server = await hold(base + 21);
  const lines: string[] = [];
  try {
    await assert.rejects(runChaos({
      sagas: 1, concurrency: 1, kafkaNodes: 1, plan: 'ci', minFaults: 0, timing: { downMs: 1, windowMs: 1 }, pauseMs: 1, basePort: base, settleTimeoutMs: 1,
      mix: { decline: 0, cancel: 0, fullRefund: 0, partialRefund: 0 }, log: (line) => { lines.push(line); },
    }), new RegExp(`^Error: ports in use: ${base + 21}; choose another --base-port$`));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.ok(!lines.some((line) => line.includes('private PostgreSQL')), lines.join('\n'));
  assert.ok(!lines.some((line) => line.includes('warning')), 'a block below the ephemeral range draws no warning');
});
