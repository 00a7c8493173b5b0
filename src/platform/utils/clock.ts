/**
 * Where time comes from. Production reads the system clock; the deterministic
 * simulation (`paysaga simulate`) installs a virtual one so deadlines, retry
 * due times and saga lifetimes follow its steps instead of the wall clock.
 * One process-wide clock keeps the diff small: code that decides on time calls
 * `now()` / `currentDate()` instead of `Date.now()` / `new Date()`.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

let active: Clock = systemClock;

export function now(): number {
  return active.now();
}

export function currentDate(): Date {
  return new Date(active.now());
}

/** Installs `clock` until the returned function is called (which restores the previous one). */
export function useClock(clock: Clock): () => void {
  const previous = active;
  active = clock;
  return () => { active = previous; };
}

/** A clock that moves only when told to (the simulation's). */
export class VirtualClock implements Clock {
  #now: number;

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, got ${ms} ms`);
    this.#now += ms;
  }
}
