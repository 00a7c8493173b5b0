import { createServer } from 'node:net';

/** Whether a loopback port can be bound now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port the system just handed out (free when returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => { if (address && typeof address === 'object') resolve(address.port); else reject(new Error('no port')); });
    });
  });
}
