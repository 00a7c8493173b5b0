import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startPlatform, type StartedPlatform } from '../../../src/cli/start.ts';
import { loadConfig } from '../../../src/platform/config.ts';
import { issueToken } from '../../../src/platform/http/auth.ts';
import { createFrontDoor, fetchOpenApi, type OpenApiDocument } from '../../../src/platform/http/front-door.ts';

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

/** Reads SSE frames from a streaming response as they come: `until` waits until the frames so far say enough. */
function frameReader(response: Response): { until(enough: (frames: Frame[]) => boolean, timeoutMs?: number): Promise<Frame[]>; close(): Promise<void> } {
  assert.ok(response.body, 'a streamed body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const frames: Frame[] = [];
  let buffer = '';
  return {
    async until(enough, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!enough(frames)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`the stream did not say it within ${timeoutMs} ms; it said ${JSON.stringify(frames)}`);
        const chunk = await Promise.race([reader.read(), new Promise<null>((resolve) => { setTimeout(() => { resolve(null); }, left); })]);
        if (chunk === null) continue;
        if (chunk.done) throw new Error(`the stream ended early; it said ${JSON.stringify(frames)}`);
        buffer += chunk.value;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) frames.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
      return frames;
    },
    close: () => reader.cancel(),
  };
}

/** Reads SSE frames until `until` says enough, then lets go of the stream. */
async function readFrames(response: Response, until: (frames: Frame[]) => boolean, timeoutMs = 30_000): Promise<Frame[]> {
  const frames = frameReader(response);
  try {
    return await frames.until(until, timeoutMs);
  } finally {
    await frames.close();
  }
}

const poison = (platform: StartedPlatform, topic: string, key: string): Promise<void> =>
  platform.transport.publish([{ topic, key, value: Buffer.from('{not json'), headers: {} }]);

describe('the change stream (GET /changes/stream): one process, and merged by the front door across processes', () => {
  // Two processes as `paysaga up` runs them (one service each), each with its own tables, behind one front door.
  let orders: StartedPlatform;
  let deliveries: StartedPlatform;
  let door: FastifyInstance;
  let doorUrl = '';
  let admin = '';
  let customer = '';

  before(async () => {
    const config = { ...loadConfig({ NOTIFICATION_LOG_FILE: '/dev/null', LOG_LEVEL: 'warn' }), httpPort: 0 };
    orders = await startPlatform(config, { services: ['order'], installSignals: false });
    deliveries = await startPlatform(config, { services: ['delivery'], installSignals: false });
    const upstreams = [{ name: 'order', url: orders.url }, { name: 'delivery', url: deliveries.url }];
    const documents = new Map<string, OpenApiDocument>();
    for (const upstream of upstreams) {
      const document = await fetchOpenApi(upstream);
      assert.ok(document, `${upstream.name} describes its routes`);
      documents.set(upstream.name, document);
    }
    door = (await createFrontDoor({ upstreams, documents })).server;
    doorUrl = await door.listen({ port: 0, host: '127.0.0.1' });
    admin = await issueToken(orders.authSecret, { subject: 'ops-1', role: 'admin' });
    customer = await issueToken(orders.authSecret, { subject: 'cust-1', role: 'customer' });
  });
  let stopped = false;
  after(async () => {
    if (stopped) return;
    await door?.close();
    await orders?.stop();
    await deliveries?.stop();
  });

  const open = (base: string, token: string | null, accept = 'text/event-stream'): Promise<Response> =>
    fetch(`${base}/changes/stream`, { headers: { accept, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

  test('one process: ready, then a dead letter as it arrives and as it is replayed', async () => {
    const response = await open(orders.url, admin);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const frames = frameReader(response);
    try {
      const [first] = await frames.until((seen) => seen.length > 0);
      assert.equal(first?.event, 'ready');
      await poison(orders, 'order.commands', 'stream-one');
      const arrived = await fetchUntil(`${orders.url}/dead-letters?service=order`, admin, (body) => pendingId(body, 'stream-one'));
      const ofThis = (seen: Frame[]): Frame[] => seen.filter((frame) => frame.event === 'change' && frame.data.id === arrived);
      await frames.until((seen) => ofThis(seen).some((frame) => frame.data.status === 'pending'));
      const replayed = await fetch(`${orders.url}/dead-letters/order/${arrived}/replay`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(replayed.status, 200, await replayed.text());
      const said = await frames.until((seen) => ofThis(seen).some((frame) => frame.data.status === 'replayed'));
      assert.deepEqual(ofThis(said).map((frame) => [frame.data.kind, frame.data.service, frame.data.topic, frame.data.status]),
        [['dead-letter', 'order', 'order.commands', 'pending'], ['dead-letter', 'order', 'order.commands', 'replayed']], 'each change once');
    } finally {
      await frames.close();
    }
  });

  test('refused: without a token 401, a customer 403, an admin not asking for text/event-stream 406', async () => {
    for (const base of [orders.url, doorUrl]) {
      assert.equal((await open(base, null)).status, 401, base);
      assert.equal((await open(base, customer)).status, 403, base);
      const wrong = await open(base, admin, 'application/json');
      assert.equal(wrong.status, 406, base);
      assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'not_acceptable');
    }
  });

  test('through the front door: one stream with the changes of every process, streamed as they happen', async () => {
    const response = await open(doorUrl, admin);
    assert.equal(response.status, 200);
    const frames = readFrames(response, (seen) => ['order', 'delivery'].every((service) => seen.some((frame) => frame.event === 'change' && frame.data.service === service)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await poison(orders, 'order.commands', 'door-order');
    await poison(deliveries, 'delivery.commands', 'door-delivery');
    const said = await frames;
    assert.equal(said.filter((frame) => frame.event === 'ready').length, 1, 'one ready, once both listen');
    assert.equal(said[0]?.event, 'ready');
    const services = new Set(said.filter((frame) => frame.event === 'change').map((frame) => frame.data.service));
    assert.deepEqual([...services].sort(), ['delivery', 'order']);
  });

  test('the front door serves the dashboard and merges the metrics summary', async () => {
    const page = await fetch(`${doorUrl}/dashboard/sagas`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
    const summary = await fetch(`${doorUrl}/metrics/summary`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(summary.status, 200);
    const { samples } = await summary.json() as { samples: { services: string; name: string }[] };
    assert.deepEqual([...new Set(samples.map((sample) => sample.services))].sort(), ['delivery', 'order']);
    assert.ok(samples.some((sample) => sample.name === 'paysaga_dead_letters_pending'));
  });

  test('open streams do not hold a stop: the front door and the processes close with streams open, and the streams end', async () => {
    const direct = await open(orders.url, admin);
    const merged = await open(doorUrl, admin);
    const ends = (response: Response): Promise<void> => readFrames(response, () => false, 60_000).then(
      () => { throw new Error('the stream went on'); },
      (error: unknown) => { if (!/ended early/.test(String(error))) throw error; },
    );
    const bothEnd = Promise.all([ends(direct), ends(merged)]);
    stopped = true;
    const stopping = (async () => {
      await door.close();
      await orders.stop();
      await deliveries.stop();
    })();
    const timeout = new Promise<'timed out'>((resolve) => { setTimeout(() => { resolve('timed out'); }, 30_000).unref(); });
    assert.notEqual(await Promise.race([stopping.then(() => 'stopped' as const), timeout]), 'timed out', 'stopped within 30 s');
    await bothEnd;
  });
});

function pendingId(body: Record<string, unknown>, key: string): string | undefined {
  const services = body.services as { deadLetters: { id: string; key: string | null; status: string }[] }[] | undefined;
  return services?.flatMap((service) => service.deadLetters).find((letter) => letter.key === key && letter.status === 'pending')?.id;
}

async function fetchUntil(url: string, token: string, found: (body: Record<string, unknown>) => string | undefined, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json() as Record<string, unknown>;
    const value = found(body);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${url}: not found within ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
