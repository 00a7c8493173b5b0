/** Runs async tasks one after another (a mutex for code paths that must not interleave). */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined); // not logged: the caller receives this rejection through `result`; the tail only keeps the queue going
    return result;
  }
}
