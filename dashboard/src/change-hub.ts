import { createContext } from 'preact';
import type { Change } from './change-stream.ts';

/** Hands the one stream's changes to the pages that listen (and its `ready`, on which they reread). */
export class ChangeHub {
  readonly #listeners = new Set<{ onChange(change: Change): void; onReady(): void }>();

  listen(listener: { onChange(change: Change): void; onReady(): void }): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  change(change: Change): void {
    for (const listener of this.#listeners) listener.onChange(change);
  }

  ready(): void {
    for (const listener of this.#listeners) listener.onReady();
  }
}

export const HubContext = createContext<ChangeHub>(new ChangeHub());
