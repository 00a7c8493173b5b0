import { useContext, useEffect, useRef } from 'preact/hooks';
import { HubContext } from './change-hub.ts';
import type { Change } from './change-stream.ts';

/** Listens to the live stream while the component is shown; the latest handlers are called, not the first ones. */
export function useChanges(onChange: (change: Change) => void, onReady: () => void): void {
  const hub = useContext(HubContext);
  const handlers = useRef({ onChange, onReady });
  handlers.current = { onChange, onReady };
  useEffect(() => hub.listen({ onChange: (change) => { handlers.current.onChange(change); }, onReady: () => { handlers.current.onReady(); } }), [hub]);
}

/** Calls `run` at most once per `ms` however often it is asked for (a burst of changes is one reread). */
export function useCoalesced(run: () => void, ms: number): () => void {
  const timer = useRef<number | null>(null);
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => () => { if (timer.current !== null) window.clearTimeout(timer.current); }, []);
  return () => {
    if (timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  };
}

/** Calls `run` now and every `ms` while the component is shown. */
export function useEvery(run: () => void, ms: number): void {
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => {
    latest.current();
    const timer = window.setInterval(() => { latest.current(); }, ms);
    return () => { window.clearInterval(timer); };
  }, [ms]);
}
