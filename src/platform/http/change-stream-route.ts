import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Change } from '../../contracts/changes.ts';
import type { ChangeFeed } from '../changes/change-feed.ts';
import { ApiError } from './api-error.ts';
import { requireRole } from './auth.ts';

/** The one live stream the dashboard reads (and the front door merges across services). */
export const CHANGE_STREAM_PATH = '/changes/stream';

export interface ChangeStreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
  /** A stream ends after this long; the client reconnects (and rereads its lists), so nothing lives for ever. */
  maxLifetimeMs?: number;
}

/** One SSE frame. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * GET /changes/stream (admins): Server-Sent Events of this process's saga and
 * dead-letter changes — `ready` once listening (the client then reads its
 * lists, so nothing falls between), then one `change` per change. Only for a
 * caller that asks for `text/event-stream`; the bearer token travels in the
 * Authorization header (the dashboard reads the stream with fetch), never in
 * the URL, so no access log or browser history keeps it.
 */
export function changeStreamRoute(http: FastifyInstance, feed: ChangeFeed, options: ChangeStreamOptions = {}): void {
  const open = new Set<PassThrough>();
  http.addHook('preClose', async () => {
    for (const stream of open) stream.end();
    await feed.close();
  });
  http.get(CHANGE_STREAM_PATH, {
    schema: {
      tags: ['dashboard'], querystring: Type.Object({}, { additionalProperties: false }), security: [{ bearer: [] }],
      summary: 'Admin: Server-Sent Events of saga and dead-letter changes (send Accept: text/event-stream)',
    },
  }, async (request, reply) => {
    requireRole(request, 'admin');
    if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
      throw new ApiError(406, 'not_acceptable', `${CHANGE_STREAM_PATH} answers Server-Sent Events only: send Accept: text/event-stream`);
    }
    const stream = new PassThrough();
    open.add(stream);
    const unsubscribe = feed.subscribe((change: Change) => { stream.write(sseFrame('change', change)); });
    const keepAlive = setInterval(() => { stream.write(': keep-alive\n\n'); }, options.keepAliveMs ?? 15_000);
    const lifetime = setTimeout(() => { stream.end(); }, options.maxLifetimeMs ?? 5 * 60_000);
    const done = (): void => {
      unsubscribe();
      clearInterval(keepAlive);
      clearTimeout(lifetime);
      open.delete(stream);
      if (!stream.writableEnded) stream.end();
    };
    stream.on('close', done);
    stream.on('finish', done);
    reply.raw.on('close', done);
    stream.write(`retry: 1000\n${sseFrame('ready', { at: new Date().toISOString() })}`);
    return reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache, no-transform')
      .header('x-accel-buffering', 'no').send(stream);
  });
}
