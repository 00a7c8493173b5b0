// The one live stream: GET /changes/stream read with fetch, so the admin's token travels in the Authorization
// header (EventSource cannot send one, and a token in the URL would land in access logs and history).
// The frames' wire format is paysaga's contract (types only: nothing of the server's code reaches the page).
import type { Change } from '../../src/contracts/changes.ts';

export type { Change, DeadLetterChange, SagaChange } from '../../src/contracts/changes.ts';

export interface StreamHandlers {
  /** The stream listens (first connect and every reconnect): reread lists, so no change falls in a gap. */
  onReady(): void;
  onChange(change: Change): void;
  onStatus(status: 'connecting' | 'live' | 'retrying', detail?: string): void;
}

/** Parses SSE frames (`event:` and `data:` lines, a blank line between frames) out of a text stream. */
export function parseFrames(buffer: string): { frames: { event: string; data: string }[]; rest: string } {
  const frames: { event: string; data: string }[] = [];
  let rest = buffer;
  let cut = rest.indexOf('\n\n');
  while (cut >= 0) {
    const block = rest.slice(0, cut);
    rest = rest.slice(cut + 2);
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0) frames.push({ event, data: data.join('\n') });
    cut = rest.indexOf('\n\n');
  }
  return { frames, rest };
}

/** Keeps the stream open (reconnecting after a pause when it ends or breaks) until the returned stop is called. */
export function followChanges(token: string, handlers: StreamHandlers): () => void {
  const abort = new AbortController();
  let stopped = false;
  const connect = async (): Promise<void> => {
    handlers.onStatus('connecting');
    const response = await fetch('/changes/stream', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
    if (!response.ok || response.body === null) throw new Error(`the change stream answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const parsed = parseFrames(buffer + value);
      buffer = parsed.rest;
      for (const frame of parsed.frames) {
        if (frame.event === 'ready') {
          handlers.onStatus('live');
          handlers.onReady();
        } else if (frame.event === 'change') {
          handlers.onChange(JSON.parse(frame.data) as Change);
        }
      }
    }
  };
  void (async () => {
    while (!stopped) {
      try {
        await connect();
        if (!stopped) handlers.onStatus('retrying', 'the stream ended');
      } catch (error) {
        if (stopped) return;
        handlers.onStatus('retrying', error instanceof Error ? error.message : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  return () => {
    stopped = true;
    abort.abort();
  };
}
