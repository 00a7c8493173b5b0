import type { ServerResponse } from 'node:http';

/**
 * Responses the timeout fault holds back: never answered, their socket destroyed
 * after `holdMs` — the client sees a timeout or a reset after the server acted.
 */
export class HeldResponses {
  private readonly held = new Map<ServerResponse, NodeJS.Timeout>();

  hold(response: ServerResponse, holdMs: number): void {
    const socket = response.socket;
    if (socket === null || socket.destroyed) return;
    const timer = setTimeout(() => {
      this.held.delete(response);
      socket.destroy();
    }, holdMs);
    this.held.set(response, timer);
    // The client gave up first: nothing left to hold.
    socket.once('close', () => {
      clearTimeout(timer);
      this.held.delete(response);
    });
  }

  releaseAll(): void {
    for (const [response, timer] of this.held) {
      clearTimeout(timer);
      response.socket?.destroy();
    }
    this.held.clear();
  }
}
