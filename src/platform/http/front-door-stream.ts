import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './api-error.ts';
import { CHANGE_STREAM_PATH } from './change-stream-route.ts';

/**
 * The front door's change stream: every service's stream (each process
 * feeds the changes of its own tables) merged into one. Frames are forwarded
 * whole, as they arrive; one `ready` is sent once every service is listening.
 * A refusal (401, 403, 406) of any service is the answer; when any service's
 * stream ends, the merged one ends too, and the client reconnects.
 */
export async function mergedChangeStream(request: FastifyRequest, reply: FastifyReply, bases: readonly string[], open: Set<PassThrough>): Promise<FastifyReply> {
  const abort = new AbortController();
  const headers: Record<string, string> = { accept: String(request.headers.accept ?? '') };
  if (request.headers.authorization !== undefined) headers.authorization = request.headers.authorization;
  const responses = await Promise.all(bases.map((base) => fetch(`${base}${CHANGE_STREAM_PATH}`, { headers, signal: abort.signal })))
    .catch((error: unknown) => {
      console.error(`front door: ${CHANGE_STREAM_PATH}: a service did not answer: ${String(error)}`);
      return null;
    });
  if (responses === null) {
    abort.abort();
    return reply.code(503).header('retry-after', '1').send(errorBody('service_unavailable', 'a service did not answer; retry shortly'));
  }
  const refused = responses.find((response) => response.status !== 200 || response.body === null);
  if (refused) {
    const body = await refused.text();
    abort.abort();
    return reply.code(refused.status).type(refused.headers.get('content-type') ?? 'application/json').send(body);
  }
  const merged = new PassThrough();
  open.add(merged);
  let ready = 0;
  const end = (): void => {
    abort.abort();
    open.delete(merged);
    if (!merged.writableEnded) merged.end();
  };
  merged.on('finish', end);
  reply.raw.on('close', end);
  for (const response of responses) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          if (/^event: ready$/m.test(frame)) {
            ready += 1;
            if (ready === responses.length) merged.write(`retry: 1000\n${frame.replace(/^retry: .*\n/m, '')}\n\n`);
          } else if (!merged.writableEnded) {
            merged.write(`${frame}\n\n`);
          }
        }
      }
    })().catch((error: unknown) => {
      if (!abort.signal.aborted) console.error(`front door: ${CHANGE_STREAM_PATH}: a service's stream broke: ${String(error)}`);
    }).finally(end);
  }
  return reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache, no-transform').header('x-accel-buffering', 'no').send(merged);
}
