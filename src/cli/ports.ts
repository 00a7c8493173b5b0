import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where Linux keeps the range it hands to outgoing connections. */
const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
/** The IANA dynamic range, for systems without that file. */
const IANA_DYNAMIC = { low: 49_152, high: 65_535 } as const;
/** Fixed-port blocks start at or above this (below are the well-known and registered services a machine may run). */
const LOWEST_BLOCK_PORT = 10_000;

/**
 * The ports the kernel picks from for outgoing connections. A port in it that
 * a tool binds, frees (kill -9) and binds again can meanwhile be taken by any
 * connection on the machine — a Kafka client reconnecting, a pool opening —
 * and the restart then fails with EADDRINUSE. Tools that restart on a fixed
 * port keep their ports below it.
 */
export function ephemeralPortRange(read: () => string = () => readFileSync(EPHEMERAL_RANGE_FILE, 'utf8')): { low: number; high: number } {
  let text: string;
  try {
    text = read();
  } catch {
    // not logged: not Linux (or /proc hidden), and the IANA range is what other systems use
    return IANA_DYNAMIC;
  }
  const [low, high] = text.trim().split(/\s+/).map(Number);
  if (low === undefined || high === undefined || !Number.isInteger(low) || !Number.isInteger(high) || low > high) return IANA_DYNAMIC;
  return { low, high };
}

/** Whether ports first … first + count − 1 meet the ephemeral range. */
export function overlapsEphemeral(first: number, count: number, range = ephemeralPortRange()): boolean {
  return first <= range.high && first + count - 1 >= range.low;
}

/** Whether a loopback port can be bound now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => { resolve(false); }); // not logged: a port in use is the answer asked for
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true); }); });
  });
}

/** The ports of `ports` that something holds now. */
export async function busyPorts(ports: readonly number[]): Promise<number[]> {
  const free = await Promise.all(ports.map(portFree));
  return ports.filter((_, index) => !free[index]);
}

/** A free loopback port the OS picks (free when this returns): for a listener bound once, never re-bound after a kill. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => { resolve(port); });
    });
  });
}

/**
 * The first of `size` consecutive free ports below the ephemeral range: for
 * processes that are killed and started again on the same port (`paysaga up`
 * restarting a service, the fault suite's kill -9).
 */
export async function freePortBlock(size: number, range = ephemeralPortRange()): Promise<number> {
  const top = Math.min(range.low, 65_536) - size;
  if (top <= LOWEST_BLOCK_PORT) throw new Error(`no room for ${size} ports between ${LOWEST_BLOCK_PORT} and the ephemeral range (${range.low}–${range.high})`);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const first = LOWEST_BLOCK_PORT + Math.floor(Math.random() * (top - LOWEST_BLOCK_PORT));
    if ((await busyPorts(Array.from({ length: size }, (_, offset) => first + offset))).length === 0) return first;
  }
  throw new Error(`no ${size} consecutive free ports found below ${range.low}`);
}
